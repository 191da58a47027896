import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { mariadbClient } from '../test-support/mariadb.js';
import { freePort } from '../test-support/postgres.js';
import { run, TROVE_BIN, type RunResult } from '../test-support/processes.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/**
 * This project's `trove` client commands, run as a user runs them (the real executable, a real
 * `trove serve`, real engines), including the ways they fail.
 */
describe('the trove client commands', () => {
  let host: TroveHost;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    host = await startTroveHost('127.0.34.0/24');
    home = mkdtempSync(join(tmpdir(), 'trove-client-home-'));
    env = { ...openstackEnv(host), HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  });
  after(async () => {
    await host?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string): Promise<RunResult> => run(TROVE_BIN, args, { ...env, ...extra }, 180_000, input);
  const ok = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const result = await cli(args, extra);
    assert.equal(result.code, 0, `trove ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const json = async (args: string[], extra: NodeJS.ProcessEnv = {}) => JSON.parse(await ok(['--json', ...args], extra));
  /** A refusal: the exit code, and its message as the one line on stderr besides progress and the usage hint, with no stack trace. */
  const refused = async (args: string[], code: number, message: RegExp, extra: NodeJS.ProcessEnv = {}) => {
    const result = await cli(args, extra);
    assert.equal(result.code, code, `trove ${args.join(' ')}: ${result.stdout} ${result.stderr}`);
    const lines = result.stderr
      .trim()
      .split('\n')
      .filter((line) => !/ \(\d+\.\d s\)$/.test(line) && !line.startsWith('(trove --help'));
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, message);
    assert.ok(!/\n\s+at /.test(result.stderr), `no stack trace: ${result.stderr}`);
    return result;
  };
  const adminEnv = () => ({ OS_USERNAME: 'admin', OS_PASSWORD: 'admin-secret', OS_PROJECT_NAME: 'admin' });

  it('lists and shows flavors, datastores, versions, limits and quotas', async () => {
    assert.match(await ok(['flavor-list']), /^2\s+db\.small\s+1024\s+1\s/m);
    assert.equal((await json(['flavor-show', 'db.small'])).ram, 1024);
    assert.equal((await json(['flavor-show', '3'])).name, 'db.medium');
    assert.deepEqual((await json(['datastore-list'])).map((d: { name: string }) => d.name).sort(), ['mariadb', 'mysql', 'postgresql', 'redis']);
    const mysql = await json(['datastore-show', 'mysql']);
    assert.equal(mysql.capabilities.backup.incremental, true);
    assert.match(await ok(['datastore-show', 'redis']), /default_port\s+6379/);
    const versions = await json(['datastore-version-list', 'postgresql']);
    assert.equal(versions[0].name, '15');
    assert.equal((await json(['datastore-version-show', versions[0].id])).name, '15');
    assert.equal((await json(['datastore-version-show', '15', '--datastore', 'postgresql'])).id, versions[0].id);
    assert.match(await ok(['limit-list']), /max_instances\s+10/);
    assert.match(await ok(['limit-show']), /max_backups\s+50/);
    assert.match(await ok(['quota-show']), /^instances\s+0\s+0\s+10$/m);

    const demoProject = JSON.parse((await cli(['--json', 'login', '--password-stdin'], { XDG_CONFIG_HOME: join(home, 'throwaway') }, 'demo-secret')).stdout).project_id as string;
    await refused(['quota-update', demoProject, 'backups', '60'], 1, /admin/);
    assert.equal((await json(['quota-update', demoProject, 'backups', '60'], adminEnv())).backups, 60);
    assert.match(await ok(['quota-show']), /^backups\s+0\s+0\s+60$/m);
    await refused(['quota-update', demoProject, 'backups', 'many'], 2, /whole number/, adminEnv());
    await refused(['flavor-show', 'db.huge'], 1, /No flavor with a name or ID of 'db\.huge' exists/);
  });

  it('takes a MariaDB through its life: create --wait, data, users, root, logs, configuration, backup, restore, resize, delete', async () => {
    const created = await cli(['--json', 'create', 'cli-shop', 'db.small', '--size', '1', '--datastore', 'mysql', '--datastore_version', '10.11', '--databases', 'orders', '--users', 'clerk:Clerk-Secret-1', '--wait']);
    assert.equal(created.code, 0, created.stderr);
    const shop = JSON.parse(created.stdout);
    assert.equal(shop.status, 'ACTIVE');
    assert.match(created.stderr, /^cli-shop: BUILD/m, 'progress goes to stderr');
    assert.match(created.stderr, /^cli-shop: ACTIVE \(\d+\.\d s\)$/m);
    const ip = shop.ip[0] as string;
    assert.match(await ok(['list']), new RegExp(`${shop.id}\\s+cli-shop\\s+mysql\\s+10\\.11\\s+ACTIVE\\s+2\\s+1\\s+${ip.replace(/\./g, '\\.')}`));
    assert.match(await ok(['show', 'cli-shop']), /^port\s+3306$/m);
    assert.equal((await json(['show', shop.id])).name, 'cli-shop');
    const app = (sql: string) => mariadbClient(ip, 'clerk', 'Clerk-Secret-1', sql, ['orders']);
    assert.equal((await app('CREATE TABLE t (x INT); INSERT INTO t VALUES (1), (2); SELECT COUNT(*) FROM t')).stdout.trim(), '2');

    // Databases and users.
    await ok(['database-create', 'cli-shop', 'extra', '--character_set', 'utf8mb4', '--collate', 'utf8mb4_bin']);
    assert.deepEqual(
      (await json(['database-list', 'cli-shop'])).map((d: { name: string }) => d.name),
      ['extra', 'orders'],
    );
    await ok(['user-create', 'cli-shop', 'ann', 'Ann-Secret-1', '--databases', 'orders', 'extra']);
    assert.match(await ok(['user-list', 'cli-shop']), /^ann\s+%\s+extra, orders$/m);
    assert.deepEqual(
      (await json(['user-show', 'cli-shop', 'ann'])).databases.map((d: { name: string }) => d.name),
      ['extra', 'orders'],
    );
    await ok(['user-revoke-access', 'cli-shop', 'ann', 'extra']);
    assert.deepEqual(
      (await json(['user-show-access', 'cli-shop', 'ann'])).map((d: { name: string }) => d.name),
      ['orders'],
    );
    await ok(['user-grant-access', 'cli-shop', 'ann', 'extra']);
    await ok(['user-update-attributes', 'cli-shop', 'ann', '--new_password', 'Ann-Secret-2']);
    assert.equal((await mariadbClient(ip, 'ann', 'Ann-Secret-2', 'SELECT 1')).stdout.trim(), '1');
    await ok(['user-create', 'cli-shop', 'local', 'Local-Secret-1', '--host', '127.0.0.1']);
    assert.equal((await json(['user-show', 'cli-shop', 'local', '--host', '127.0.0.1'])).host, '127.0.0.1');
    await ok(['user-delete', 'cli-shop', 'local', '--host', '127.0.0.1']);
    await ok(['user-delete', 'cli-shop', 'ann']);
    await ok(['database-delete', 'cli-shop', 'extra']);
    assert.deepEqual(
      (await json(['user-list', 'cli-shop'])).map((u: { name: string }) => u.name),
      ['clerk'],
    );
    await refused(['user-update-attributes', 'cli-shop', 'clerk'], 2, /nothing to change/);
    await refused(['database-create', 'cli-shop', 'bad name!'], 1, /not a valid schema name/);

    // Root.
    assert.equal((await json(['root-show', 'cli-shop'])).rootEnabled, false);
    const root = await json(['root-enable', 'cli-shop']);
    assert.equal(root.name, 'root');
    assert.equal((await mariadbClient(ip, 'root', root.password, 'SELECT 1')).stdout.trim(), '1');
    assert.match(await ok(['root-enable', 'cli-shop', '--root_password', 'Root-Chosen-9']), /^password\s+Root-Chosen-9$/m);
    assert.equal((await mariadbClient(ip, 'root', 'Root-Chosen-9', 'SELECT 1')).stdout.trim(), '1');
    assert.match(await ok(['root-show', 'cli-shop']), /is_root_enabled\s+true/);
    await ok(['root-disable', 'cli-shop']);
    assert.notEqual((await mariadbClient(ip, 'root', 'Root-Chosen-9', 'SELECT 1')).code, 0);

    // Guest logs.
    assert.match(await ok(['log-list', 'cli-shop']), /^general\s+USER\s+Disabled/m);
    assert.equal((await json(['log-enable', 'cli-shop', 'general'])).status, 'Ready');
    await app('SELECT 42');
    assert.ok((await json(['log-publish', 'cli-shop', 'general'])).published > 0);
    assert.equal((await json(['log-show', 'cli-shop', 'general'])).name, 'general');
    assert.equal((await json(['log-discard', 'cli-shop', 'general'])).published, 0);
    assert.equal((await json(['log-disable', 'cli-shop', 'general'])).status, 'Disabled');
    await refused(['log-show', 'cli-shop', 'nosuchlog'], 1, /nosuchlog/);

    // Configuration groups.
    const group = await json(['configuration-create', 'cli-tuned', '{"max_connections": 222}', '--datastore', 'mysql', '--datastore_version', '10.11', '--description', 'more connections']);
    assert.deepEqual(group.values, { max_connections: 222 });
    assert.match(await ok(['configuration-list']), /cli-tuned\s+more connections\s+mysql\s+10\.11/);
    assert.match(await ok(['configuration-parameter-list', '10.11', '--datastore', 'mysql']), /^max_connections\s+integer\s+10\s+100000\s+false$/m);
    assert.equal((await json(['configuration-parameter-show', '10.11', 'innodb_log_file_size', '--datastore', 'mysql'])).restart_required, true);
    const attached = await cli(['--json', 'configuration-attach', 'cli-shop', 'cli-tuned', '--wait']);
    assert.equal(attached.code, 0, attached.stderr);
    assert.equal(JSON.parse(attached.stdout).configuration.name, 'cli-tuned');
    assert.equal((await json(['configuration-default', 'cli-shop'])).max_connections, '222');
    assert.deepEqual(
      (await json(['configuration-instances', 'cli-tuned'])).map((i: { name: string }) => i.name),
      ['cli-shop'],
    );
    await ok(['configuration-patch', 'cli-tuned', '{"wait_timeout": 99}']);
    assert.deepEqual((await json(['configuration-show', 'cli-tuned'])).values, { max_connections: 222, wait_timeout: 99 });
    await ok(['configuration-update', 'cli-tuned', '{"max_connections": 230}', '--description', 'even more']);
    const updated = await json(['configuration-show', group.id]);
    assert.deepEqual([updated.values, updated.description], [{ max_connections: 230 }, 'even more']);
    await refused(['configuration-delete', 'cli-tuned'], 1, /attached|instances/i);
    await refused(['configuration-patch', 'cli-tuned', '{"max_connections": "lots"}'], 1, /max_connections/);
    const detached = await cli(['--json', 'configuration-detach', 'cli-shop', '--wait']);
    assert.equal(detached.code, 0, detached.stderr);
    // Every value of the group was dynamic: the flavor's own are back at once, without a restart.
    assert.equal(JSON.parse(detached.stdout).status, 'ACTIVE', 'a detach waits for its task and reports what it left');
    assert.notEqual((await json(['configuration-default', 'cli-shop'])).max_connections, '230');
    await ok(['configuration-delete', 'cli-tuned']);
    assert.match(await ok(['configuration-list']), /^No configuration groups\.$/m);

    // Backups and restore.
    const full = await cli(['--json', 'backup-create', 'cli-shop', 'cli-full', '--description', 'before', '--wait']);
    assert.equal(full.code, 0, full.stderr);
    assert.equal(JSON.parse(full.stdout).status, 'COMPLETED');
    assert.match(full.stderr, /^backup cli-full: COMPLETED/m);
    await app('INSERT INTO t VALUES (3)');
    const inc = await json(['backup-create', 'cli-shop', 'cli-inc', '--parent', 'cli-full', '--wait']);
    assert.equal(inc.parent_id, JSON.parse(full.stdout).id);
    await app('INSERT INTO t VALUES (4)');
    assert.equal((await json(['backup-list'])).length, 2);
    assert.equal((await json(['backup-list', '--instance', 'cli-shop', '--limit', '1'])).length, 1);
    assert.equal((await json(['backup-list', '--datastore', 'redis'])).length, 0);
    assert.match(await ok(['backup-list-instance', 'cli-shop']), /cli-inc\s+COMPLETED/);
    assert.match(await ok(['backup-show', 'cli-inc']), /^status\s+COMPLETED$/m);
    const restored = await json(['create', 'cli-copy', '2', '--size', '1', '--backup', 'cli-inc', '--wait']);
    assert.equal(restored.status, 'ACTIVE');
    assert.equal((await mariadbClient(restored.ip[0], 'clerk', 'Clerk-Secret-1', 'SELECT COUNT(*) FROM t', ['orders'])).stdout.trim(), '3', 'rows up to the incremental, not after');
    await ok(['delete', 'cli-copy', '--wait']);

    // A restore that fails ends the wait with exit 5 and the fault.
    const object = join(host.dataDir, 'objects', 'database_backups', inc.id, 'data.incremental.zst.enc');
    const original = readFileSync(object);
    const corrupt = Buffer.from(original);
    corrupt[Math.floor(corrupt.length / 2)]! ^= 0x55;
    writeFileSync(object, corrupt);
    await refused(['create', 'cli-broken', '2', '--size', '1', '--backup', inc.id, '--wait'], 5, /^trove: cli-broken ended in ERROR: .*corrupt/);
    writeFileSync(object, original);
    await ok(['delete', 'cli-broken', '--wait']);

    await ok(['backup-delete', 'cli-full', '--wait']);
    assert.match(await ok(['backup-list']), /^No backups\.$/m, 'the incremental went with its parent');

    // Resize, restart, rename.
    assert.equal((await json(['resize-volume', 'cli-shop', '2', '--wait'])).volume.size, 2);
    assert.equal((await json(['resize-instance', 'cli-shop', 'db.medium', '--wait'])).flavor.id, '3');
    const restarted = await cli(['restart', 'cli-shop', '--wait']);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stderr, /^cli-shop: REBOOT/m);
    assert.match(restarted.stdout, /^status\s+ACTIVE$/m);
    await refused(['resize-volume', 'cli-shop', '1'], 1, /smaller|larger|shrink|greater/i);
    await ok(['update', 'cli-shop', '--name', 'cli-store']);
    assert.equal((await json(['show', 'cli-store'])).id, shop.id);
    assert.equal((await mariadbClient(ip, 'clerk', 'Clerk-Secret-1', 'SELECT COUNT(*) FROM t', ['orders'])).stdout.trim(), '4');

    // A wait that runs out of time says so with exit 6; the operation goes on.
    const agentPid = Number(readFileSync(join(host.dataDir, 'instances', shop.id, 'agent.pid'), 'utf8'));
    process.kill(agentPid, 'SIGSTOP');
    try {
      await refused(['restart', 'cli-store', '--wait', '--timeout', '2'], 6, /cli-store is still REBOOT after 2 s; it goes on/);
    } finally {
      process.kill(agentPid, 'SIGCONT');
    }
    const deadline = Date.now() + 60_000;
    while ((await json(['show', 'cli-store'])).status !== 'ACTIVE' && Date.now() < deadline) await sleep(250);

    await ok(['reset-status', shop.id], adminEnv());
    await refused(['reset-status', 'cli-store'], 1, /admin/);
    const deleted = await cli(['delete', 'cli-store', '--wait']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stderr, /^cli-store: deleted/m);
    assert.match(await ok(['list']), /^No instances\.$/m);
  });

  it('sends the replica commands as troveclient does: a replica, refusals for what is not one, detach', async () => {
    const kv = await json(['create', 'cli-kv', '1', '--size', '1', '--datastore', 'redis', '--wait']);
    const replica = await json(['create', 'cli-kv-replica', '1', '--replica_of', 'cli-kv', '--wait']);
    assert.equal(replica.status, 'ACTIVE');
    assert.equal(replica.replica_of.id, kv.id);
    assert.deepEqual(
      (await json(['show', 'cli-kv'])).replicas.map((r: { id: string }) => r.id),
      [replica.id],
    );
    await refused(['promote-to-replica-source', 'cli-kv'], 1, /is not a replica/);
    await refused(['eject-replica-source', replica.id], 1, /is not a replica source/);
    await refused(['eject-replica-source', 'cli-kv'], 1, /cannot be ejected as it has a current heartbeat/);
    await refused(['update', 'cli-kv', '--auto_failover', 'maybe'], 2, /takes on or off/);
    await refused(['database-list', 'cli-kv'], 1, /does not support databases/);
    await ok(['update', 'cli-kv-replica', '--detach-replica-source', '--wait']);
    assert.equal((await json(['show', 'cli-kv-replica'])).replica_of, undefined);
    await refused(['detach-replica', 'cli-kv-replica'], 1, /is not a replica/);
    await ok(['delete', 'cli-kv', 'cli-kv-replica', '--wait']);
  });

  it('refuses bad input before sending it, with exit 2 and what to fix', async () => {
    await refused(['create', 'x', '2', '--size', '0'], 2, /--size must be a whole number of at least 1/);
    await refused(['create', 'x', '2', '--size', '1', '--users', 'nopassword'], 2, /name:password/);
    await refused(['create', 'x', '2', '--size', '1', '--nic', 'v4-fixed-ip=1.2.3.4'], 2, /net-id/);
    await refused(['create', 'x'], 2, /missing required argument 'flavor'/);
    await refused(['configuration-create', 'c', '[1, 2]'], 2, /JSON object/);
    await refused(['update', 'nothing'], 2, /nothing to update/);
    await refused(['backup-list', '--limit', 'ten'], 2, /--limit must be a whole number/);
    await refused(['completion', 'fish'], 2, /use bash or zsh/);
    await refused(['frobnicate'], 2, /unknown command 'frobnicate'/);
  });

  it('says what went wrong when the API refuses, the server is down or nobody is logged in', async () => {
    await refused(['create', 'x', 'db.none', '--size', '1'], 1, /^trove: No flavor with a name or ID of 'db\.none' exists\.$/);
    await refused(['create', 'x', '2', '--size', '1', '--datastore', 'oracle'], 1, /oracle/);
    await refused(['create', 'x', '2', '--size', '9999'], 1, /cannot exceed maximum/);
    await refused(['show', 'ghost'], 1, /No instance with a name or ID of 'ghost' exists/);
    await refused(['delete', '00000000-0000-0000-0000-000000000000'], 1, /No instance/);
    await refused(['backup-show', 'ghost'], 1, /No backup with a name or ID of 'ghost'/);
    await refused(['configuration-show', 'ghost'], 1, /No configuration group/);
    const down = await freePort();
    await refused(['list'], 4, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${down} \\(ECONNREFUSED\\): is trove serve running there\\?`), { OS_AUTH_URL: `http://127.0.0.1:${down}/v3` });
    await refused(['list'], 3, /refused demo/, { OS_PASSWORD: 'wrong-secret' });
    await refused(['list'], 3, /not logged in: run `trove login`/, { OS_PASSWORD: '', XDG_CONFIG_HOME: join(home, 'nobody') });
  });

  it('logs in once, keeps only a token in a file of mode 0600, and logs out for good', async () => {
    const noPassword = { OS_PASSWORD: '' };
    const login = await cli(['login', '--password-stdin', '--username', 'demo', '--project', 'demo', '--auth-url', `${host.server.url}/v3`], noPassword, 'demo-secret\n');
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /^Logged in to http:\/\/127\.0\.0\.1:\d+\/v1\.0\/[0-9a-f]+ as demo \(project demo\)/);
    const file = join(home, '.config', 'trove', 'session.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, '.config', 'trove')).mode & 0o777, 0o700);
    assert.ok(!readFileSync(file, 'utf8').includes('demo-secret'), 'the password is not kept');
    assert.match(await ok(['flavor-list'], noPassword), /db\.small/);

    const kept = join(home, 'session.copy');
    copyFileSync(file, kept);
    assert.match(await ok(['logout'], noPassword), /^Logged out/);
    assert.ok(!existsSync(file));
    await refused(['flavor-list'], 3, /not logged in/, noPassword);
    copyFileSync(kept, file);
    await refused(['flavor-list'], 3, /refused the token/, noPassword);
    rmSync(file);
    const wrong = await cli(['login', '--password-stdin', '--username', 'demo', '--project', 'demo'], { ...noPassword, OS_AUTH_URL: `${host.server.url}/v3` }, 'wrong-secret\n');
    assert.equal(wrong.code, 3, wrong.stderr);
    assert.match(wrong.stderr, /^trove: the identity service refused demo/);
    assert.ok(!existsSync(file), 'a failed login keeps nothing');
  });

  it('completes commands, options and instance names in bash, and gives zsh a script it can load', async () => {
    await ok(['create', 'cli-complete', '1', '--size', '1', '--datastore', 'redis']);
    const bash = (words: string[]) =>
      run('bash', ['-c', `source <(trove completion bash); COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _trove; printf '%s\\n' "\${COMPREPLY[@]}"`], { ...env, PATH: `${join(TROVE_BIN, '..')}:${env.PATH}` });
    assert.deepEqual((await bash(['trove', 'backup-c'])).stdout.trim().split('\n'), ['backup-create']);
    assert.deepEqual((await bash(['trove', 'create', 'x', '2', '--datastore_v'])).stdout.trim().split('\n'), ['--datastore_version']);
    assert.deepEqual((await bash(['trove', 'show', 'cli-c'])).stdout.trim().split('\n'), ['cli-complete']);
    const zsh = await ok(['completion', 'zsh']);
    assert.match(zsh, /^#compdef trove$/m);
    const script = join(home, '_trove');
    writeFileSync(script, zsh);
    const parsed = await run('zsh', ['-n', script]);
    assert.equal(parsed.code, 0, parsed.stderr);
    const loaded = await run('zsh', ['-c', `autoload -U compinit && compinit -u && source ${script} && whence -w _trove`], { ...env, HOME: home });
    assert.equal(loaded.stdout.trim(), '_trove: function', loaded.stderr);
    await ok(['delete', 'cli-complete', '--wait']);
  });
});
