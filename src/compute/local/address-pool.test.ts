import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HostAddressClaims, listeningAddresses } from './host-address-claims.js';
import { migrateToLatest, openStore, type OpenedStore } from '../../state/database.js';
import { AddressPool } from './address-pool.js';

/** Two servers of one host: each its own data folder and store, one claims folder, the same default-style pool. */
describe('address leases of two servers on one host', () => {
  let root: string;
  let stores: OpenedStore[];
  let pools: AddressPool[];
  const POOL = '127.0.99.0/29';

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'trove-addresses-'));
    stores = [openStore('', join(root, 'a')), openStore('', join(root, 'b'))];
    for (const store of stores) await migrateToLatest(store.db);
    const claims = join(root, 'claims');
    pools = [new AddressPool(stores[0]!.db, POOL, new HostAddressClaims(claims, join(root, 'a'))), new AddressPool(stores[1]!.db, POOL, new HostAddressClaims(claims, join(root, 'b')))];
  });
  after(async () => {
    for (const store of stores) await store.db.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('never hands one address to both', async () => {
    const first = await pools[0]!.lease('a-1');
    const second = await pools[1]!.lease('b-1');
    assert.notEqual(first, second);
    assert.equal(await pools[0]!.lease('a-1'), first, 'an instance keeps its address');
  });

  it('skips an address something already listens on', async () => {
    const taken = '127.0.99.3';
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, taken, resolve));
    try {
      assert.ok(listeningAddresses().has(taken), '/proc/net/tcp shows the listener');
      const leased = await pools[0]!.lease('a-2');
      assert.notEqual(leased, taken);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives a released address out again, and frees the claims of a server whose data folder is gone', async () => {
    const address = await pools[1]!.lease('b-2');
    await pools[1]!.release('b-2');
    assert.equal(await pools[0]!.lease('a-3'), address);
    const stray = new HostAddressClaims(join(root, 'claims'), join(root, 'gone'));
    assert.ok(stray.claim('127.0.99.6', 'x-1', true));
    assert.equal(await pools[1]!.lease('b-3'), '127.0.99.5');
    assert.equal(await pools[1]!.lease('b-4'), '127.0.99.6', "the pool is otherwise full, and the gone server's claim is taken over");
  });

  it('says so when the pool has no address left on this host', async () => {
    await assert.rejects(pools[1]!.lease('b-5'), /no free address left/);
  });
});
