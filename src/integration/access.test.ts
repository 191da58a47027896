import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { tableFor } from '../compute/local/packet-filter.js';
import { leftovers } from '../test-support/leaks.js';
import { APP, createAppInstance } from '../test-support/mariadb.js';
import { createTestNetwork, reach, type TestNetwork } from '../test-support/network-probe.js';
import { psql } from '../test-support/psql.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const ROUTE_LOCALNET = '/proc/sys/net/ipv4/conf/all/route_localnet';

/** A PostgreSQL startup message for `user`: the server answers 'R' (asks for a password) or 'E' (refuses). */
function startup(user: string, database: string): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
  const packet = Buffer.alloc(8 + body.length);
  packet.writeUInt32BE(packet.length, 0);
  packet.writeUInt32BE(196608, 4);
  body.copy(packet, 8);
  return packet;
}

/**
 * `access` as the seed's security groups: private instances answer only at their private
 * address, public ones also at the host's public address, and allowed_cidrs is enforced by the
 * kernel's packet filter on both paths (and by pg_hba.conf behind it). The public address is the
 * host's side of a veth link into a network namespace made here, whose client is the outside world.
 */
describe('access: public and private, allowed networks enforced on the host', () => {
  let host: TroveHost;
  let net: TestNetwork;
  let routeLocalnetBefore = '';
  let mysql: { id: string; ip: string };
  let postgres: { id: string; ip: string; port: number };
  const pgPort = 5432;
  const enginePid = (id: string, file: string) =>
    Number(
      readFileSync(join(host.dataDir, 'instances', id, file), 'utf8')
        .split('\n')[0]!
        .trim(),
    );
  const view = async (id: string) => (await host.demo.call('GET', `/instances/${id}`)).body.instance;
  const publicOf = (v: { addresses: Array<{ type: string; address: string; port?: number }> }) => v.addresses.find((a) => a.type === 'public');
  /** An access change is done when its task is: the instance stays ACTIVE throughout. */
  const accessApplied = async (id: string) => {
    for (let i = 0; i < 300; i++) {
      const v = await view(id);
      if (!v.pending_tasks && v.status === 'ACTIVE') return v;
      await sleep(100);
    }
    assert.fail(`the access change of ${id} did not finish`);
  };

  before(async () => {
    routeLocalnetBefore = readFileSync(ROUTE_LOCALNET, 'utf8').trim();
    net = createTestNetwork(`acc${process.pid % 1000}`, process.pid % 250);
    host = await startTroveHost('127.0.70.0/24', { compute: `public_address = "${net.hostAddress}"\npublic_ports = "47100-47199"\n` });
  });
  after(async () => {
    await host?.close();
    net?.remove();
  });

  it('answers a private instance at its private address only', async () => {
    mysql = await createAppInstance(host.demo, 'private-db', '2');
    const v = await view(mysql.id);
    assert.deepEqual(v.access, { is_public: false, allowed_cidrs: [] });
    assert.deepEqual(
      v.addresses.map((a: { type: string }) => a.type),
      ['private'],
    );
    assert.equal((await reach(mysql.ip, 3306)).outcome, 'answered');
    // The port the instance would be published on answers nothing from outside.
    assert.equal(await net.reachFromClient(net.hostAddress, 47100), 'refused');
  });

  it('publishes it and restricts it to allowed networks while ACTIVE, without a restart: others get no connection by either path', async () => {
    const before = enginePid(mysql.id, 'run/mysqld.pid');
    const changed = await host.demo.call('PUT', `/instances/${mysql.id}`, { instance: { access: { is_public: true, allowed_cidrs: [`${net.clientAddress}/32`, '127.0.71.0/24'] } } });
    assert.equal(changed.status, 202, JSON.stringify(changed.body));
    const v = await accessApplied(mysql.id);
    assert.deepEqual(v.access, { is_public: true, allowed_cidrs: [`${net.clientAddress}/32`, '127.0.71.0/24'] });
    assert.deepEqual(publicOf(v), { address: net.hostAddress, type: 'public', port: 47100 });
    assert.deepEqual(v.ip, [mysql.ip, net.hostAddress]);
    assert.equal(enginePid(mysql.id, 'run/mysqld.pid'), before, 'the engine was not restarted');

    // From outside, at the public address: the engine's own client logs in.
    const outside = await net.exec('mariadb', ['--no-defaults', '-h', net.hostAddress, '-P', '47100', '-u', APP.user, `--password=${APP.password}`, '--batch', '--skip-column-names', '-e', 'SELECT 1'], {}, 20_000);
    assert.equal(outside.code, 0, outside.stderr);
    assert.equal(outside.stdout.trim(), '1');
    // From this host: an allowed source by either path, a denied one by neither.
    assert.equal((await reach(mysql.ip, 3306, '127.0.71.5')).outcome, 'answered');
    assert.equal((await reach(net.hostAddress, 47100, '127.0.71.5')).outcome, 'answered');
    assert.equal((await reach(mysql.ip, 3306, '127.0.72.5')).outcome, 'dropped');
    assert.equal((await reach(net.hostAddress, 47100, '127.0.72.5')).outcome, 'dropped');
    assert.equal((await reach(mysql.ip, 3306)).outcome, 'dropped', 'the host itself (127.0.0.1) is not an allowed network');
  });

  it('holds PostgreSQL to its networks from its first start, with pg_hba.conf as a second wall, and its replicas still stream', async () => {
    const created = await host.demo.call('POST', '/instances', {
      instance: {
        name: 'restricted-pg',
        flavorRef: '2',
        volume: { size: 1 },
        datastore: { type: 'postgresql', version: '15' },
        databases: [{ name: APP.database }],
        users: [{ name: APP.user, password: APP.password, databases: [{ name: APP.database }] }],
        access: { is_public: true, allowed_cidrs: [`${net.clientAddress}/32`, '127.0.71.0/24'] },
      },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const active = await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR']);
    assert.equal(active.status, 'ACTIVE', JSON.stringify(active));
    postgres = { id: active.id, ip: active.ip[0], port: publicOf(active)!.port! };
    assert.equal(postgres.port, 47101, 'the next free public port');

    const outside = await net.exec('psql', ['-w', '-X', '-A', '-t', '-h', net.hostAddress, '-p', String(postgres.port), '-U', APP.user, '-d', APP.database, '-c', 'SELECT 41 + 1'], { PGPASSWORD: APP.password, PGCONNECT_TIMEOUT: '5' });
    assert.equal(outside.code, 0, outside.stderr);
    assert.equal(outside.stdout.trim(), '42');
    assert.equal((await reach(postgres.ip, pgPort, '127.0.72.5', startup(APP.user, APP.database))).outcome, 'dropped');
    const allowed = await reach(postgres.ip, pgPort, '127.0.71.5', startup(APP.user, APP.database));
    assert.ok(allowed.outcome === 'answered' && allowed.data[0] === 0x52, 'an allowed source is asked for its password');

    // With the host's rules gone (an operator's mistake), the engine still refuses other networks.
    execFileSync('nft', ['delete', 'table', 'ip', tableFor(join(host.dataDir, 'instances'))]);
    const wall = await reach(postgres.ip, pgPort, '127.0.72.5', startup(APP.user, APP.database));
    assert.ok(wall.outcome === 'answered' && wall.data[0] === 0x45 && wall.data.toString().includes('no pg_hba.conf entry for host "127.0.72.5"'), `pg_hba.conf refuses: ${wall.outcome === 'answered' ? wall.data.toString() : wall.outcome}`);
    // Applying access again renders every instance's rules anew.
    assert.equal((await host.demo.call('PUT', `/instances/${postgres.id}`, { instance: { access: { is_public: true, allowed_cidrs: [`${net.clientAddress}/32`, '127.0.71.0/24'] } } })).status, 202);
    await accessApplied(postgres.id);
    assert.equal((await reach(postgres.ip, pgPort, '127.0.72.5', startup(APP.user, APP.database))).outcome, 'dropped');
    assert.equal((await reach(mysql.ip, 3306, '127.0.72.5')).outcome, 'dropped', "the other instance's rules are back too");

    // A replica on this host reaches its restricted source: the engines' own connections pass.
    const replica = await host.demo.call('POST', '/instances', { instance: { name: 'pg-replica', replica_of: postgres.id } });
    assert.equal(replica.status, 200, JSON.stringify(replica.body));
    const replicaView = await host.demo.waitForStatus(replica.body.instance.id, ['ACTIVE', 'ERROR'], 180_000);
    assert.equal(replicaView.status, 'ACTIVE', JSON.stringify(replicaView));
    const written = await net.exec('psql', ['-w', '-X', '-h', net.hostAddress, '-p', String(postgres.port), '-U', APP.user, '-d', APP.database, '-c', 'CREATE TABLE t (v int); INSERT INTO t VALUES (7)'], { PGPASSWORD: APP.password, PGCONNECT_TIMEOUT: '5' });
    assert.equal(written.code, 0, written.stderr);
    let copied = '';
    for (let i = 0; i < 100 && copied !== '7'; i++) {
      copied = (await psql(replicaView.ip[0], APP.user, APP.password, APP.database, 'SELECT v FROM t')).stdout.trim();
      if (copied !== '7') await sleep(100);
    }
    assert.equal(copied, '7', 'the replica has the write made through the public path');
    assert.equal((await view(replicaView.id)).replication.streaming, true);
  });

  it('makes an instance private again: its public endpoint stops answering and is freed', async () => {
    assert.equal((await host.demo.call('PUT', `/instances/${mysql.id}`, { instance: { access: { is_public: false } } })).status, 202);
    const v = await accessApplied(mysql.id);
    assert.deepEqual(v.access, { is_public: false, allowed_cidrs: [] });
    assert.equal(publicOf(v), undefined);
    assert.equal(await net.reachFromClient(net.hostAddress, 47100), 'refused');
    // No networks listed: any source again, the host itself included.
    assert.equal((await reach(mysql.ip, 3306)).outcome, 'answered');
    assert.equal(await net.reachFromClient(net.hostAddress, postgres.port), 'answered', 'the other public instance still answers');
  });

  it('removes every rule with its instance: nothing is left in the packet filter', async () => {
    const instances = (await host.demo.call('GET', '/instances')).body.instances as Array<{ id: string; replica_of?: unknown }>;
    // Replicas first: a source with replicas cannot be deleted.
    for (const instance of [...instances].sort((a, b) => Number(Boolean(b.replica_of)) - Number(Boolean(a.replica_of)))) {
      assert.equal((await host.demo.call('DELETE', `/instances/${instance.id}`)).status, 202);
      await host.demo.waitForStatus(instance.id, ['GONE'], 120_000);
    }
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
    assert.equal(readFileSync(ROUTE_LOCALNET, 'utf8').trim(), routeLocalnetBefore, 'route_localnet is as it was found');
  });
});
