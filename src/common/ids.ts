import { createHash, randomUUID } from 'node:crypto';

export function newId(): string {
  return randomUUID();
}

/** Keystone-style ids: 32 hex characters, no dashes. */
export function newHexId(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * A UUID that is the same on every server for the same name (RFC 4122 version 5 layout),
 * so catalog entries that are discovered rather than stored keep stable ids.
 */
export function stableUuid(name: string): string {
  const hash = createHash('sha1').update('trove:').update(name).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
