import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run } from '../test-support/processes.js';
import { tableRows } from '../test-support/cli-output.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/**
 * Debian's python3-troveclient (`trove`) and python3-openstackclient (`openstack`) against a
 * real `trove serve`. troveclient prints values as b'…' on Python 3.11, so its tables are
 * read with that in mind; the openstack client is read as JSON.
 */
describe('OpenStack clients against trove serve', () => {
  let host: TroveHost;
  let projectId = '';
  let osEnv: NodeJS.ProcessEnv;

  before(async () => {
    // Default rate limits: the limits commands show them.
    host = await startTroveHost('127.0.24.0/24', '[tasks]\nreconcile_seconds = 1\n');
    osEnv = openstackEnv(host);
  });
  after(async () => {
    await host?.close();
  });

  const troveClient = (args: string[], env = osEnv) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], env, 120_000);
  const openstack = async (args: string[], env = osEnv) => {
    const result = await run('/usr/bin/python3', ['/usr/bin/openstack', ...args, '-f', 'json'], env, 120_000);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout);
  };

  it('openstack token issue gets a project-scoped token', async () => {
    const token = await openstack(['token', 'issue']);
    assert.match(token.project_id, /^[0-9a-f]{32}$/);
    assert.match(token.expires, /^\d{4}-\d\d-\d\dT/);
    projectId = token.project_id;
  });

  it('trove flavor-list and openstack database flavor list show the flavors', async () => {
    const result = await troveClient(['flavor-list']);
    assert.equal(result.code, 0, result.stderr);
    const names = tableRows(result.stdout)
      .map((r) => r[1])
      .sort();
    assert.deepEqual(names, ['db.large', 'db.medium', 'db.small', 'db.tiny', 'db.xlarge']);
    const flavors = await openstack(['database', 'flavor', 'list']);
    assert.deepEqual(flavors.map((f: { Name: string; RAM: number }) => [f.Name, f.RAM]).sort(), [
      ['db.large', 4096],
      ['db.medium', 2048],
      ['db.small', 1024],
      ['db.tiny', 512],
      ['db.xlarge', 8192],
    ]);
  });

  it('trove datastore-list and datastore-version-list show the installed engines', async () => {
    const result = await troveClient(['datastore-list']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      tableRows(result.stdout)
        .map((r) => r[1])
        .sort(),
      ['mariadb', 'mysql', 'postgresql', 'redis'],
    );
    const versions = await troveClient(['datastore-version-list', 'mysql']);
    assert.equal(versions.code, 0, versions.stderr);
    assert.deepEqual(
      tableRows(versions.stdout).map((r) => r[1]),
      ['10.11'],
    );
    const openstackVersions = await openstack(['datastore', 'version', 'list', 'postgresql']);
    assert.deepEqual(
      openstackVersions.map((v: { Name: string }) => v.Name),
      ['15'],
    );
    const datastores = await openstack(['datastore', 'list']);
    assert.equal(datastores.length, 4);
  });

  it('trove limit-list and openstack database limit list show quotas and rate limits', async () => {
    const result = await troveClient(['limit-list']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\|\s*max_instances\s*\|\s*10\s*\|/);
    // This command prints the absolute limits as a table before the JSON of the rate limits.
    const listed = await run('/usr/bin/python3', ['/usr/bin/openstack', 'database', 'limit', 'list', '-f', 'json'], osEnv, 120_000);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /\|\s*max_volumes\s*\|\s*40\s*\|/);
    const rates = JSON.parse(listed.stdout.slice(listed.stdout.indexOf('\n[')));
    assert.deepEqual(
      rates.find((l: { Verb: string }) => l.Verb === 'POST'),
      { Value: 200, Verb: 'POST', Remaining: 200, Unit: 'MINUTE' },
    );
  });

  it('trove quota-show shows usage against limits', async () => {
    const result = await troveClient(['quota-show', projectId]);
    assert.equal(result.code, 0, result.stderr);
    const table = Object.fromEntries(tableRows(result.stdout).map((r) => [r[0], r.slice(1)]));
    assert.deepEqual(table.instances, ['0', '0', '10']);
    assert.deepEqual(table.volumes, ['0', '0', '40']);
  });

  it('reports a wrong password as an authentication failure', async () => {
    const result = await troveClient(['flavor-list'], { ...osEnv, OS_PASSWORD: 'wrong' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr + result.stdout, /authenticat|401/i);
  });

  it('trove show of an unknown flavor reports not found', async () => {
    const result = await troveClient(['flavor-show', '9999']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /9999/);
  });
});
