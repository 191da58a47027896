import { blockAddresses } from '../../common/cidr.js';
import { ConfigError } from '../../common/errors.js';
import type { AddressAllocator } from '../driver.js';
import { isUniqueViolation, type Store } from '../../state/database.js';

/** The loopback addresses instances listen on privately: the local driver's are inside 127.0.0.0/8. */
function poolAddresses(cidr: string): string[] {
  const addresses = blockAddresses(cidr, 'compute.address_pool');
  if (!addresses[0]!.startsWith('127.')) throw new ConfigError(`compute.address_pool "${cidr}" must be inside 127.0.0.0/8 for the local driver`);
  return addresses;
}

/**
 * What the host knows beyond this server's store: addresses held by other servers' instances,
 * or by anything listening on them. claim() is true when the address is now the instance's.
 */
export interface AddressClaims {
  /** fresh: a new lease, so an address something already listens on is refused. */
  claim(address: string, instanceId: string, fresh: boolean): boolean;
  release(address: string, instanceId: string): void;
}

/** Leases of the loopback addresses instances listen on, one row per address in use. */
export class AddressPool implements AddressAllocator {
  private readonly addresses: string[];

  constructor(
    private readonly db: Store,
    cidr: string,
    private readonly claims?: AddressClaims,
  ) {
    this.addresses = poolAddresses(cidr);
  }

  /** The instance's address, leasing the lowest free one if it has none yet. */
  async lease(instanceId: string): Promise<string> {
    const refused = new Set<string>();
    for (;;) {
      const existing = await this.db.selectFrom('address_leases').select('address').where('instance_id', '=', instanceId).executeTakeFirst();
      if (existing) {
        if (this.claims && !this.claims.claim(existing.address, instanceId, false)) throw new Error(`address ${existing.address} of instance ${instanceId} is held by another server on this host`);
        return existing.address;
      }
      const taken = new Set((await this.db.selectFrom('address_leases').select('address').execute()).map((r) => r.address));
      const free = this.addresses.find((a) => !taken.has(a) && !refused.has(a) && (this.claims?.claim(a, instanceId, true) ?? true));
      if (!free) throw new Error('no free address left in compute.address_pool (addresses held by other servers on this host, or listened on, count as used)');
      try {
        await this.db.insertInto('address_leases').values({ address: free, instance_id: instanceId, created_at: new Date().toISOString() }).execute();
        return free;
      } catch (err) {
        // Another server sharing the store took it (or this instance got one meanwhile): look again.
        if (!isUniqueViolation(err)) throw err;
        this.claims?.release(free, instanceId);
        refused.add(free);
      }
    }
  }

  /** Claims the addresses this server's instances hold again (after a reboot emptied the host's claims); the ones another server holds are returned. */
  async reclaim(): Promise<Array<{ address: string; instanceId: string }>> {
    if (!this.claims) return [];
    const rows = await this.db.selectFrom('address_leases').select(['address', 'instance_id']).execute();
    return rows.filter((row) => !this.claims!.claim(row.address, row.instance_id, false)).map((row) => ({ address: row.address, instanceId: row.instance_id }));
  }

  async release(instanceId: string): Promise<void> {
    const rows = await this.db.selectFrom('address_leases').select('address').where('instance_id', '=', instanceId).execute();
    await this.db.deleteFrom('address_leases').where('instance_id', '=', instanceId).execute();
    for (const row of rows) this.claims?.release(row.address, instanceId);
  }
}
