import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startServe, trove } from '../test-support/processes.js';

describe('the trove executable', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trove-test-cli-'));
  const env = { TROVE_DATA_DIR: dataDir };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('bootstraps an admin idempotently', async () => {
    const first = await trove(['manage', 'bootstrap', '--admin-password', 'first-secret'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created admin user in project admin/);
    const second = await trove(['manage', 'bootstrap'], { ...env, TROVE_ADMIN_PASSWORD: 'second-secret' });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /updated admin user/);
    const users = await trove(['manage', 'user-list'], env);
    assert.equal(users.stdout.match(/^\S+\s+admin\s/gm)?.length, 1, users.stdout);
  });

  it('creates projects, users and flavors, refusing bad input with exit 1 and a message', async () => {
    assert.equal((await trove(['manage', 'project-create', 'shop'], env)).code, 0);
    const duplicate = await trove(['manage', 'project-create', 'shop'], env);
    assert.equal(duplicate.code, 1);
    assert.equal(duplicate.stderr.trim(), "trove: Project 'shop' already exists.");
    const user = await trove(['manage', 'user-create', 'clerk', '--project', 'shop', '--password', 'clerk-secret', '--role', 'member'], env);
    assert.equal(user.code, 0, user.stderr);
    const badRole = await trove(['manage', 'user-create', 'boss', '--project', 'shop', '--password', 'boss-secret', '--role', 'owner'], env);
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /--role must be one of admin, member, reader/);
    const noProject = await trove(['manage', 'user-create', 'ghost', '--project', 'nowhere', '--password', 'ghost-secret'], env);
    assert.equal(noProject.code, 1);
    assert.match(noProject.stderr, /Project 'nowhere' cannot be found/);
    const users = await trove(['manage', 'user-list'], env);
    assert.doesNotMatch(users.stdout, /ghost|boss/, 'a refused user is not half-created');
    const flavor = await trove(['manage', 'flavor-create', 'db.huge', '--ram', '16384', '--vcpus', '8'], env);
    assert.equal(flavor.code, 0, flavor.stderr);
    assert.match(flavor.stdout, /created flavor db.huge \(id 6\)/);
    const badFlavor = await trove(['manage', 'flavor-create', 'db.odd', '--ram', 'lots', '--vcpus', '1'], env);
    assert.equal(badFlavor.code, 1);
    assert.match(badFlavor.stderr, /--ram must be a whole number/);
    assert.match((await trove(['manage', 'flavor-list'], env)).stdout, /6\s+db\.huge\s+16384\s+8/);
  });

  it('exits 2 with the bad key named when the configuration is wrong', async () => {
    const config = join(dataDir, 'bad.toml');
    writeFileSync(config, '[server]\nport = "eighty"\n');
    const result = await trove(['serve', '--config', config], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /configuration error: setting "server\.port"/);
    const usage = await trove(['manage', 'no-such-command'], env);
    assert.equal(usage.code, 2);
  });

  it('serves on the port and data folder given, and stops cleanly on SIGTERM', async () => {
    // The most verbose log level, so that the check below would see any secret logged.
    const server = await startServe(dataDir, { TROVE_LOG_LEVEL: 'trace' });
    try {
      const response = await fetch(`${server.url}/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'clerk', domain: { name: 'Default' }, password: 'clerk-secret' } } }, scope: { project: { name: 'shop', domain: { name: 'Default' } } } } }),
      });
      assert.equal(response.status, 201);
      const token = response.headers.get('x-subject-token')!;
      const body = (await response.json()) as { token: { project: { id: string } } };
      const flavors = await fetch(`${server.url}/v1.0/${body.token.project.id}/flavors`, { headers: { 'x-auth-token': token } });
      const names = ((await flavors.json()) as { flavors: Array<{ name: string }> }).flavors.map((f) => f.name);
      assert.ok(names.includes('db.huge'), 'the server reads the store that manage wrote');
      assert.match(server.output(), /token issued/, 'the log is verbose enough for the next check to mean something');
      assert.doesNotMatch(server.output(), /clerk-secret/, 'passwords never reach the log');
      assert.doesNotMatch(server.output(), new RegExp(token), 'tokens never reach the log');
      const second = await trove(['serve', '--port', String(server.port)], env);
      assert.equal(second.code, 2);
      assert.match(second.stderr, /cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
    } finally {
      await server.stop();
    }
    assert.equal(server.process.exitCode, 0);
  });
});
