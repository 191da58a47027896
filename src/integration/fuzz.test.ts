import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../test-support/http-client.js';
import { createAppInstance, APP } from '../test-support/mariadb.js';
import { fetchOpenApi, operationsOf } from '../test-support/fuzz/openapi.js';
import type { FuzzReport } from '../test-support/fuzz/report.js';
import { runFuzz } from '../test-support/fuzz/runner.js';
import type { Fixture } from '../test-support/fuzz/targets.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** The seed and the size of a run: fixed unless asked otherwise, so a CI failure can be replayed. */
const SEED = Number(process.env.TROVE_FUZZ_SEED ?? 20_261_802);
const RUNS_PER_ROUTE = Number(process.env.TROVE_FUZZ_RUNS ?? 14);
const FUZZ_SECONDS = Number(process.env.TROVE_FUZZ_SECONDS ?? 150);

/**
 * Requests generated from the OpenAPI document `trove serve` publishes, on every route, as the
 * owner of a real MariaDB instance (with a backup and a configuration group), as another
 * project's member and as an admin: no 5xx, no wrong request accepted, nothing of the owner's
 * seen from the other project, every error in the fault format without echoing a long input.
 */
describe('generated requests on every route (fuzz)', { timeout: 420_000 }, () => {
  let host: TroveHost;
  let report: FuzzReport;

  before(async () => {
    host = await startTroveHost('127.0.95.0/24', {
      accounts: [
        { name: 'rival', project: 'rival', password: 'rival-secret', role: 'member' },
        { name: 'spare', project: 'spare', password: 'spare-secret', role: 'member' },
      ],
    });
    const other = await ApiClient.login(host.server.url, 'rival', 'rival-secret', 'rival');
    const spare = await ApiClient.login(host.server.url, 'spare', 'spare-secret', 'spare');
    const instanceName = `fuzz-owner-${SEED}`;
    const { id: instanceId } = await createAppInstance(host.demo, instanceName, '1');
    const backup = await host.demo.call('POST', '/backups', { backup: { name: 'fuzz-backup', instance: instanceId } });
    assert.equal(backup.status, 202, JSON.stringify(backup.body));
    const backupDone = await host.demo.waitForBackup(backup.body.backup.id, ['COMPLETED', 'FAILED']);
    assert.equal(backupDone.status, 'COMPLETED', JSON.stringify(backupDone));
    await host.demo.waitForStatus(instanceId, ['ACTIVE']);
    const group = await host.demo.call('POST', '/configurations', { configuration: { name: 'fuzz-group', values: { max_connections: 60 }, datastore: { type: 'mysql', version: '10.11' } } });
    assert.equal(group.status, 200, JSON.stringify(group.body));
    // Quotas at what is in use: a valid create is refused, never started on the shared host.
    for (const [project, limits] of [
      [host.demo.projectId, { instances: 1, backups: 1 }],
      [other.projectId, { instances: 0, backups: 0 }],
      // Admins create in their own project: a valid cluster there would start three more engines.
      [host.admin.projectId, { instances: 0, backups: 0 }],
    ] as const) {
      const set = await host.admin.call('PUT', `/mgmt/quotas/${project}`, { quotas: limits });
      assert.equal(set.status, 200, JSON.stringify(set.body));
    }
    const datastores = await host.demo.call('GET', '/datastores');
    const mysql = datastores.body.datastores.find((d: any) => d.name === 'mysql');
    const version = mysql.versions.find((v: any) => v.name === '10.11');
    const parameters = (await host.demo.call('GET', '/datastores/mysql/versions/10.11/parameters')).body['configuration-parameters'] as Array<{ name: string; type: string; min?: number; max?: number }>;
    const fixture: Fixture = {
      ownerProject: host.demo.projectId,
      otherProject: other.projectId,
      spareProject: spare.projectId,
      instanceId,
      instanceName,
      backupId: backupDone.id,
      configurationId: group.body.configuration.id,
      flavorId: '1',
      datastore: 'mysql',
      version: '10.11',
      versionId: version.id,
      parameter: 'max_connections',
      database: APP.database,
      user: APP.user,
      clusterId: '0f0f0f0f-0000-4000-8000-0000000c1a57',
      logNames: ((await host.demo.call('GET', `/instances/${instanceId}/log`)).body.logs as Array<{ name: string }>).map((l) => l.name),
    };
    const operations = operationsOf(await fetchOpenApi(host.server.url));
    console.log(`fuzz: seed ${SEED}, ${RUNS_PER_ROUTE} cases per route, ${operations.length} routes`);
    report = await runFuzz({
      base: host.server.url,
      operations,
      fixture,
      callers: [
        { name: 'owner', token: host.demo.token, tenant: host.demo.projectId },
        { name: 'other', token: other.token, tenant: other.projectId },
        // Admins name their own project in the path, as in Trove; they reach the owner's resources through it.
        { name: 'admin', token: host.admin.token, tenant: host.admin.projectId },
      ],
      parameters: parameters.filter((p) => p.type === 'integer').slice(0, 6),
      seed: SEED,
      runsPerRoute: RUNS_PER_ROUTE,
      deadline: Date.now() + FUZZ_SECONDS * 1000,
      ...(process.env.TROVE_FUZZ_TRACE ? { tracePath: process.env.TROVE_FUZZ_TRACE } : {}),
    });
    console.log(report.text());
  });
  after(async () => {
    await host?.close();
  });

  it('ran every route of the document within its time', () => {
    assert.deepEqual(report.routesLeft, []);
    assert.ok(report.requests >= report.routesRun * RUNS_PER_ROUTE * 2, `${report.requests} requests`);
  });
  it('answers no request with a 5xx (or not at all)', () => {
    assert.equal(report.serverErrors, 0, report.text());
  });
  it('accepts no request generated to be wrong, and no path that names nothing', () => {
    assert.equal(report.silentAccepts, 0, report.text());
  });
  it("shows another project's member nothing of the owner's, not even whether it exists", () => {
    assert.ok(report.crossProjectProbes >= 60, `only ${report.crossProjectProbes} probes across projects`);
    assert.equal(report.leaks, 0, report.text());
  });
  it('answers every error in the fault format, without echoing a long input, and a wrong method with 405 and Allow', () => {
    assert.equal(report.formatFaults, 0, report.text());
  });
});
