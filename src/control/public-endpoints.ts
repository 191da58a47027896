import { ConfigError } from '../common/errors.js';
import { isUniqueViolation, type Store } from '../state/database.js';
import { blockAddresses } from '../common/cidr.js';

export interface Endpoint {
  address: string;
  port: number;
}

/** Where public instances may be published: each its own address (at its engine's port), or one address with a port each. */
export type PublicSpace = { kind: 'addresses'; addresses: string[] } | { kind: 'ports'; address: string; low: number; high: number };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isLoopbackOrWildcard(address: string): boolean {
  return address.startsWith('127.') || address === '0.0.0.0' || address === '::' || address === '::1' || address === 'localhost';
}

/**
 * The public space from the settings: compute.public_address as one address or a block, or by
 * default the address the server listens on when that is a real one; undefined when there is none.
 */
export function publicSpace(compute: { public_address: string; public_ports: string }, listenHost: string): PublicSpace | undefined {
  const configured = compute.public_address.trim();
  if (configured.includes('/')) return { kind: 'addresses', addresses: blockAddresses(configured, 'compute.public_address') };
  const address = configured || (isLoopbackOrWildcard(listenHost) ? '' : listenHost);
  if (!address) return undefined;
  const match = IPV4.exec(address);
  if (!match || match.slice(1).some((o) => Number(o) > 255)) throw new ConfigError(`compute.public_address must be an IPv4 address or block, got "${address}"`);
  const [low, high] = compute.public_ports.split('-').map(Number) as [number, number];
  if (!(low >= 1024 && high <= 65535 && low <= high)) throw new ConfigError(`compute.public_ports "${compute.public_ports}": give a range of ports from 1024 to 65535, low-high`);
  return { kind: 'ports', address, low, high };
}

/** Leases of public endpoints, one row per address and port in use, shared by every server on the store. */
export class PublicEndpoints {
  constructor(
    private readonly db: Store,
    private readonly space: PublicSpace | undefined,
  ) {}

  /** Whether this server can publish instances at all. */
  get available(): boolean {
    return this.space !== undefined;
  }

  private candidates(enginePort: number): Endpoint[] {
    const space = this.space;
    if (!space) throw new ConfigError('this server has no public address: set compute.public_address');
    if (space.kind === 'addresses') return space.addresses.map((address) => ({ address, port: enginePort }));
    return Array.from({ length: space.high - space.low + 1 }, (_, i) => ({ address: space.address, port: space.low + i }));
  }

  /** The instance's public endpoint, leasing the first free one if it has none yet. */
  async lease(instanceId: string, enginePort: number): Promise<Endpoint> {
    const candidates = this.candidates(enginePort);
    // Bounded: each round either returns or loses one candidate to another server.
    for (let round = 0; round <= candidates.length; round++) {
      const existing = await this.db.selectFrom('public_endpoints').select(['address', 'port']).where('instance_id', '=', instanceId).executeTakeFirst();
      if (existing) return existing;
      const taken = new Set((await this.db.selectFrom('public_endpoints').select(['address', 'port']).execute()).map((e) => `${e.address}:${e.port}`));
      const free = candidates.find((c) => !taken.has(`${c.address}:${c.port}`));
      if (!free) break;
      try {
        await this.db
          .insertInto('public_endpoints')
          .values({ ...free, instance_id: instanceId, created_at: new Date().toISOString() })
          .execute();
        return free;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error('no free public endpoint left: widen compute.public_address or compute.public_ports');
  }

  async release(instanceId: string): Promise<void> {
    await this.db.deleteFrom('public_endpoints').where('instance_id', '=', instanceId).execute();
  }

  /** The public endpoints of these instances, for views. */
  async of(instanceIds: string[]): Promise<Map<string, Endpoint>> {
    if (instanceIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('public_endpoints').selectAll().where('instance_id', 'in', instanceIds).execute();
    return new Map(rows.map((r) => [r.instance_id, { address: r.address, port: r.port }]));
  }
}
