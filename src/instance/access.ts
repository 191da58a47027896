import { BadRequest } from '../common/errors.js';
import type { InstanceTable } from '../state/schema.js';
import { parseOwn } from '../common/json.js';

/** Who may reach an instance: Trove's `access`, the seed's security groups. */
export interface Access {
  /** Also published on the host's public address; otherwise only on its private address. */
  isPublic: boolean;
  /** IPv4 networks that may reach the engine's port; empty: any source. */
  allowedCidrs: string[];
}

/** As Trove's schema has it: four octets, an optional mask of 0 to 32. */
export const CIDR_PATTERN = '^([0-9]{1,3}\\.){3}[0-9]{1,3}(\\/([0-9]|[1-2][0-9]|3[0-2]))?$';

/** At most this many networks per instance: each is a rule in the packet filter and the engine. */
export const MAX_ALLOWED_CIDRS = 64;

/** The CIDR in canonical form (host bits cleared, mask explicit), or a 400 saying what is wrong. */
export function canonicalCidr(text: string): string {
  const match = new RegExp(CIDR_PATTERN).exec(text);
  if (!match) throw new BadRequest(`'${text}' is not an IPv4 network: write it as a.b.c.d or a.b.c.d/mask.`);
  const [address, maskText] = text.split('/') as [string, string | undefined];
  const octets = address.split('.').map(Number);
  if (octets.some((o) => o > 255)) throw new BadRequest(`'${text}' is not an IPv4 network: each of its four numbers must be at most 255.`);
  const mask = maskText === undefined ? 32 : Number(maskText);
  const value = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - mask);
  const network = Math.floor(value / size) * size;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.')}/${mask}`;
}

/** What a create or update asks for, on top of what the instance has (nothing: private, any source). */
export function accessFrom(input: { is_public?: boolean; allowed_cidrs?: string[] } | undefined, current: Access = { isPublic: false, allowedCidrs: [] }): Access {
  if (input === undefined) return current;
  const cidrs = input.allowed_cidrs ?? current.allowedCidrs;
  if (cidrs.length > MAX_ALLOWED_CIDRS) throw new BadRequest(`allowed_cidrs holds at most ${MAX_ALLOWED_CIDRS} networks; got ${cidrs.length}.`);
  for (const cidr of cidrs) canonicalCidr(cidr);
  return { isPublic: input.is_public ?? current.isPublic, allowedCidrs: [...cidrs] };
}

export function accessOf(instance: Pick<InstanceTable, 'access_public' | 'access_cidrs'>): Access {
  return { isPublic: instance.access_public === 1, allowedCidrs: parseOwn<string[]>(instance.access_cidrs) };
}

export function accessColumns(access: Access): Pick<InstanceTable, 'access_public' | 'access_cidrs'> {
  return { access_public: access.isPublic ? 1 : 0, access_cidrs: JSON.stringify(access.allowedCidrs) };
}
