import { ConfigError } from './errors.js';

/** The usable host addresses of an IPv4 CIDR block (without network and broadcast); `setting` names it in errors. */
export function blockAddresses(cidr: string, setting: string): string[] {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new ConfigError(`${setting} must be an IPv4 CIDR such as 127.0.10.0/24, got "${cidr}"`);
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits < 16 || bits > 30) throw new ConfigError(`${setting} "${cidr}": use a block from /16 to /30`);
  const base = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const size = 2 ** (32 - bits);
  const network = base & (~(size - 1) >>> 0);
  const addresses: string[] = [];
  for (let i = 1; i < size - 1; i++) {
    const n = (network + i) >>> 0;
    addresses.push([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
  }
  return addresses;
}
