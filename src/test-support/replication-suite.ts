import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import type { DatastoreProfile } from './datastore-profiles.js';
import { eventually } from './eventually.js';
import { loseHost } from './host-loss.js';
import { run, TROVE_BIN, type RunResult } from './processes.js';
import { DEFAULT_TOML, openstackEnv, startTroveHost, type TroveHost } from './trove-host.js';

interface Member {
  id: string;
  name: string;
  ip: string;
}

/**
 * Replication as a user drives it with the `trove` command line, against the profile's real
 * engine: replicas seeded and following, read-only replicas, switchover, failover of a source
 * that is gone (kill -9, its host unreachable), the old source fenced and re-joined, detach,
 * a backup of a replica, and a crash of `trove serve` in the middle of a promotion; with
 * `autoFailover`, also automatic failover.
 */
export function describeReplication(profile: DatastoreProfile, addressPool: string, options: { autoFailover?: boolean } = {}): void {
  describe(`${profile.type} replication through the trove command line`, () => {
    let host: TroveHost;
    let home: string;
    let env: NodeJS.ProcessEnv;
    const members = new Map<string, Member>();
    const member = (name: string) => members.get(name)!;

    before(async () => {
      host = await startTroveHost(addressPool, `${DEFAULT_TOML}\n[replication]\nfailover_after_seconds = 3\n`);
      home = mkdtempSync(join(tmpdir(), 'trove-replication-home-'));
      env = { ...openstackEnv(host), HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
    });
    after(async () => {
      await host?.close();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    const cli = (args: string[]): Promise<RunResult> => run(TROVE_BIN, args, env, 240_000);
    const ok = async (args: string[]) => {
      const result = await cli(args);
      if (result.code !== 0) assert.fail(`trove ${args.join(' ')}: ${result.stdout} ${result.stderr}\n${host.agentLogs()}`);
      return result.stdout;
    };
    /** The view, read through the API: polled often, and the CLI's `show --json` prints the same object (checked once below). */
    const show = async (name: string) => (await host.demo.call('GET', `/instances/${member(name).id}`)).body.instance;
    const remember = (view: { id: string; name: string; ip: string[] }) => members.set(view.name, { id: view.id, name: view.name, ip: view.ip[0]! });
    const read = async (name: string) => {
      const result = await profile.read(member(name).ip);
      return result.code === 0 ? result.stdout.trim() : `(refused: ${result.stderr.trim()})`;
    };
    const writes = async (name: string, value: string) => (await profile.write(member(name).ip, value)).code === 0;
    /** Which of the named members accept a write now. */
    const writable = async (names: string[]) => {
      const accepting: string[] = [];
      for (const name of names) if (await writes(name, `probe-${name}`)) accepting.push(name);
      return accepting;
    };
    const folder = (name: string) => join(host.dataDir, 'instances', member(name).id);

    it('creates a source and two replicas seeded from it, which follow its writes and refuse their own', async () => {
      const account = [...(profile.hasDatabases ? ['--databases', 'appdb'] : []), '--users', 'app:App-Secret-1'];
      remember(JSON.parse(await ok(['--json', 'create', 'src', 'db.small', '--size', '1', '--datastore', profile.type, '--datastore_version', profile.version, ...account, '--wait'])));
      assert.equal((await profile.setUp(member('src').ip)).code, 0);
      assert.ok(await writes('src', 'one'));

      const created = await cli(['--json', 'create', 'rep', 'db.small', '--replica_of', 'src', '--replica_count', '2', '--wait']);
      assert.equal(created.code, 0, created.stderr);
      const list = JSON.parse(await ok(['--json', 'list'])) as Array<{ id: string; name: string }>;
      for (const name of ['rep-1', 'rep-2']) {
        const id = list.find((i) => i.name === name)?.id;
        assert.ok(id, `${name} is listed`);
        const active = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR'], 240_000);
        assert.equal(active.status, 'ACTIVE', JSON.stringify(active.fault));
        remember(active);
      }
      // The seed carried what was written before; what is written after streams.
      for (const name of ['rep-1', 'rep-2']) await eventually(() => read(name), 'one');
      assert.ok(await writes('src', 'two'));
      for (const name of ['rep-1', 'rep-2']) await eventually(() => read(name), 'two');
      assert.deepEqual(await writable(['rep-1', 'rep-2']), [], 'replicas are read-only');

      const source = await show('src');
      assert.deepEqual(source.replicas.map((r: { id: string }) => r.id).sort(), [member('rep-1').id, member('rep-2').id].sort());
      const replica = JSON.parse(await ok(['--json', 'show', 'rep-1']));
      assert.equal(replica.replica_of.id, member('src').id);
      await eventually(async () => (await show('rep-1')).replication?.streaming, true);
      assert.match(await ok(['show', 'rep-1']), /replication\s+replica, streaming/);
    });

    it('refuses what would fork a replica or orphan one: user changes on a replica, deleting a source with replicas, eject of a healthy source', async () => {
      const userCreate = await cli(['user-create', 'rep-1', 'intruder', 'Intruder-Secret-1']);
      assert.equal(userCreate.code, 1);
      assert.match(userCreate.stderr, /is a replica: make this change on its source/);
      const deleted = await cli(['delete', 'src']);
      assert.equal(deleted.code, 1);
      assert.match(deleted.stderr, /source of replicas .* delete or detach its replicas first/);
      const eject = await cli(['eject-replica-source', 'src']);
      assert.equal(eject.code, 1);
      assert.match(eject.stderr, /cannot be ejected as it has a current heartbeat/);
      const notReplica = await cli(['promote-to-replica-source', 'src']);
      assert.equal(notReplica.code, 1);
      assert.match(notReplica.stderr, /is not a replica/);
    });

    it('copies users made on the source to its replicas', async () => {
      await ok(['user-create', 'src', 'reader', 'Reader-Secret-1', ...(profile.hasDatabases ? ['--databases', 'appdb'] : [])]);
      const listed = async () => {
        const result = await cli(['--json', 'user-list', 'rep-2']);
        return result.code === 0 ? (JSON.parse(result.stdout) as Array<{ name: string }>).some((u) => u.name === 'reader') : result.stderr.trim();
      };
      await eventually(listed, true);
    });

    it('switches over without losing a write: promote fences the source, the others follow the new one', async () => {
      assert.ok(await writes('src', 'three'));
      const promoted = await cli(['promote-to-replica-source', 'rep-1', '--wait']);
      assert.equal(promoted.code, 0, promoted.stderr);
      // Written on the old source just before the switch: on the new source at once.
      assert.equal(await read('rep-1'), 'three');
      const newSource = await show('rep-1');
      assert.equal(newSource.replica_of, undefined);
      assert.deepEqual(newSource.replicas.map((r: { id: string }) => r.id).sort(), [member('src').id, member('rep-2').id].sort());
      assert.equal((await show('src')).replica_of.id, member('rep-1').id);
      assert.deepEqual(await writable(['src', 'rep-2']), [], 'the old source is fenced, the other replica read-only');
      assert.ok(await writes('rep-1', 'four'));
      for (const name of ['src', 'rep-2']) await eventually(() => read(name), 'four');
    });

    it('fails over from a source that is gone: the most advanced replica has every write, the old source comes back fenced and re-joins', async () => {
      assert.ok(await writes('rep-1', 'five'));
      for (const name of ['src', 'rep-2']) await eventually(() => read(name), 'five');
      // The source's host is gone: engine and agent killed, and nothing there to restart them.
      const comeBack = loseHost(folder('rep-1'), profile.enginePidFile);
      const ejected = await cli(['eject-replica-source', 'rep-1', '--wait']);
      assert.equal(ejected.code, 0, ejected.stderr);
      const views = await Promise.all(['src', 'rep-2'].map(show));
      const sources = views.filter((v) => v.replica_of === undefined);
      assert.equal(sources.length, 1, 'exactly one new source');
      const newSource = sources[0].name as string;
      const other = newSource === 'src' ? 'rep-2' : 'src';
      assert.equal(await read(newSource), 'five');
      assert.ok(await writes(newSource, 'six'));
      await eventually(() => read(other), 'six');
      assert.equal((await show('rep-1')).replica_of.id, member(newSource).id);

      // The host comes back: the old source starts fenced, never writable, and follows the new source.
      comeBack();
      await eventually(async () => (await show('rep-1')).replication?.role, 'replica', 90_000);
      assert.deepEqual(await writable(['rep-1']), [], 'the old source refuses writes');
      await eventually(() => read('rep-1'), 'six', 90_000);
      assert.deepEqual(await writable([newSource, other, 'rep-1']), [newSource], 'one writable member');
    });

    // The decision is the control plane's, the same for every engine: one engine runs it.
    if (options.autoFailover)
      it('fails over by itself from a source with automatic failover that stays down, and never while it runs', async () => {
        const views = await Promise.all(['src', 'rep-1', 'rep-2'].map(show));
        const source = views.find((v) => v.replica_of === undefined).name as string;
        const replicas = views.filter((v) => v.replica_of !== undefined).map((v) => v.name as string);
        await ok(['update', source, '--auto_failover', 'on']);
        assert.match(await ok(['show', source]), /auto_failover\s+on/);
        // Up and healthy for longer than failover_after_seconds: nothing happens.
        await sleep(4000);
        assert.equal((await show(source)).replica_of, undefined);

        assert.ok(await writes(source, 'eight'));
        for (const name of replicas) await eventually(() => read(name), 'eight');
        const comeBack = loseHost(folder(source), profile.enginePidFile);
        await eventually(async () => (await Promise.all(replicas.map(show))).filter((v) => v.replica_of === undefined && v.status === 'ACTIVE').length, 1, 120_000);
        const newSource = (await Promise.all(replicas.map(show))).find((v) => v.replica_of === undefined).name as string;
        assert.equal((await show(newSource)).auto_failover, true, 'the policy goes with the source role');
        assert.equal(await read(newSource), 'eight');
        assert.ok(await writes(newSource, 'nine'));

        comeBack();
        await eventually(async () => (await show(source)).replication?.role, 'replica', 90_000);
        await eventually(() => read(source), 'nine', 90_000);
        assert.deepEqual(await writable(['src', 'rep-1', 'rep-2']), [newSource], 'one writable member');
        await ok(['update', newSource, '--auto_failover', 'off']);
      });

    it('backs up a replica', async () => {
      const replica = (await show('rep-1')).replica_of ? 'rep-1' : 'rep-2';
      const backup = JSON.parse(await ok(['--json', 'backup-create', replica, 'from-replica', '--wait']));
      assert.equal(backup.status, 'COMPLETED');
      assert.equal(backup.instance_id, member(replica).id);
    });

    it('finishes or rolls back a promotion when trove serve is killed in the middle of it, never with two writable members', async () => {
      const views = await Promise.all(['src', 'rep-1', 'rep-2'].map(show));
      const source = views.find((v) => v.replica_of === undefined).name as string;
      const candidate = views.find((v) => v.replica_of !== undefined).name as string;
      await ok(['promote-to-replica-source', candidate]);
      await sleep(300);
      host.crash();
      await host.restart();
      for (const name of ['src', 'rep-1', 'rep-2']) {
        const settled = await host.demo.waitForStatus(member(name).id, ['ACTIVE', 'ERROR'], 180_000);
        assert.equal(settled.status, 'ACTIVE', `${name}: ${JSON.stringify(settled.fault)}`);
      }
      const after = await Promise.all(['src', 'rep-1', 'rep-2'].map(show));
      const sources = after.filter((v) => v.replica_of === undefined).map((v) => v.name as string);
      assert.equal(sources.length, 1, `one source: ${sources.join(', ')}`);
      assert.ok([source, candidate].includes(sources[0]!));
      const everyone = ['src', 'rep-1', 'rep-2'];
      await eventually(async () => (await writable(everyone)).join(','), sources[0]);
    });

    it('detaches a replica into a standalone read-write instance, then deletes the set', async () => {
      const views = await Promise.all(['src', 'rep-1', 'rep-2'].map(show));
      const source = views.find((v) => v.replica_of === undefined).name as string;
      const replicas = views.filter((v) => v.replica_of !== undefined).map((v) => v.name as string);
      const [detached, kept] = replicas as [string, string];
      const result = await cli(['detach-replica', detached, '--wait']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((await show(detached)).replica_of, undefined);
      assert.ok(await writes(detached, 'mine'));
      assert.ok(await writes(source, 'seven'));
      await eventually(() => read(kept), 'seven');
      assert.equal(await read(detached), 'mine', 'a detached instance no longer follows');
      assert.deepEqual(
        (await show(source)).replicas.map((r: { id: string }) => r.id),
        [member(kept).id],
      );

      for (const name of [detached, kept, source]) await ok(['delete', name]);
      for (const name of [detached, kept, source]) assert.equal((await host.demo.waitForStatus(member(name).id, ['GONE'], 120_000)).status, 'GONE');
      assert.ok(!existsSync(folder(source)));
    });
  });
}
