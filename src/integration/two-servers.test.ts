import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisCli } from '../test-support/redis.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const KV = { name: 'kv', password: 'Kv-Secret-1' };

/**
 * Two `trove serve` of one host, each with its own data folder and store but the same address
 * pool (as two servers left at the default would have): neither hands out the other's addresses.
 */
describe('two servers on one host with the same address pool', { timeout: 300_000 }, () => {
  let hosts: TroveHost[] = [];

  before(async () => {
    hosts = [await startTroveHost('127.0.89.0/24'), await startTroveHost('127.0.89.0/24')];
  });
  after(async () => {
    for (const host of hosts) await host.close();
  });

  it("gives each server's instances addresses of their own, and both work", async () => {
    const created = await Promise.all(hosts.map((host) => host.demo.call('POST', '/instances', { instance: { name: 'kv', flavorRef: '2', volume: { size: 1 }, datastore: { type: 'redis' }, users: [KV] } })));
    for (const answer of created) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const views = await Promise.all(hosts.map((host, i) => host.demo.waitForStatus(created[i]!.body.instance.id, ['ACTIVE', 'ERROR'])));
    for (const [i, view] of views.entries()) assert.equal(view.status, 'ACTIVE', `${JSON.stringify(view)}\n${hosts[i]!.agentLogs()}`);
    const [a, b] = views.map((v) => v.ip[0] as string);
    assert.notEqual(a, b);
    for (const [i, ip] of [a!, b!].entries()) {
      assert.equal((await redisCli(ip, KV.name, KV.password, ['SET', 'owner', `server-${i}`])).stdout.trim(), 'OK');
    }
    for (const [i, ip] of [a!, b!].entries()) assert.equal((await redisCli(ip, KV.name, KV.password, ['GET', 'owner'])).stdout.trim(), `server-${i}`);
  });
});
