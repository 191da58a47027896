import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { DEFAULT_TOML, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const METRICS = '127.0.44.254:19464';

/** One sample's value in Prometheus' text format, by its name and exact labels; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '')
      .split(/,(?=[a-z_]+=")/)
      .filter((l) => l !== '')
      .sort()
      .join(',');
    if (have === wanted) return Number(match[3]);
  }
  return undefined;
}

/** The Prometheus metrics of `trove serve`, scraped from their own address, against events the test makes happen. */
describe('metrics', () => {
  let host: TroveHost;
  let instanceId = '';

  before(async () => {
    host = await startTroveHost('127.0.44.0/24', `${DEFAULT_TOML}\n[metrics]\nlisten_address = "${METRICS}"\n\n[backups]\ntimeout_seconds = 15\n`);
  });
  after(async () => {
    await host?.close();
  });

  const scrape = async () => {
    const response = await fetch(`http://${METRICS}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it('serves GET /metrics on its own address, and nothing else there', async () => {
    const text = await scrape();
    for (const name of ['trove_http_requests_total', 'trove_tasks_total', 'trove_instances', 'trove_backups', 'trove_backup_bytes', 'trove_agents_unreachable']) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is declared`);
    }
    assert.equal((await fetch(`http://${METRICS}/v1.0`)).status, 404);
    assert.equal((await fetch(`http://${METRICS}/metrics`, { method: 'POST' })).status, 404);
  });

  it('counts a create: its requests by route, its task done, the instance ACTIVE by datastore', async () => {
    const created = await host.demo.call('POST', '/instances', { instance: { name: 'counted', flavorRef: '1', volume: { size: 1 }, datastore: { type: 'redis', version: '7.0' } } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    instanceId = created.body.instance.id;
    await host.demo.waitForStatus(instanceId, ['ACTIVE']);
    const missing = await host.demo.call('GET', '/instances/no-such-instance');
    assert.equal(missing.status, 404);
    const text = await scrape();
    assert.equal(sample(text, 'trove_http_requests_total', { method: 'POST', route: '/v1.0/:tenant_id/instances', status: '200' }), 1);
    assert.equal(sample(text, 'trove_http_requests_total', { method: 'GET', route: '/v1.0/:tenant_id/instances/:id', status: '404' }), 1);
    assert.ok((sample(text, 'trove_http_request_duration_seconds_count', { method: 'POST', route: '/v1.0/:tenant_id/instances' }) ?? 0) >= 1);
    assert.equal(sample(text, 'trove_tasks_total', { kind: 'instance.create', outcome: 'done' }), 1);
    assert.equal(sample(text, 'trove_task_duration_seconds_count', { kind: 'instance.create', outcome: 'done' }), 1);
    assert.equal(sample(text, 'trove_instances', { status: 'ACTIVE', datastore: 'redis' }), 1);
    assert.equal(sample(text, 'trove_agents_unreachable', {}), 0);
  });

  it('counts a backup that failed (its store cannot be written) and one that completed, with its bytes', async () => {
    const objects = join(host.dataDir, 'objects');
    rmSync(objects, { recursive: true, force: true });
    writeFileSync(objects, 'not a folder: every write of a backup fails');
    const failing = await host.demo.call('POST', '/backups', { backup: { name: 'doomed', instance: instanceId } });
    assert.equal(failing.status, 202, JSON.stringify(failing.body));
    const failed = await host.demo.waitForBackup(failing.body.backup.id, ['COMPLETED', 'FAILED'], 120_000);
    assert.equal(failed.status, 'FAILED');
    rmSync(objects, { force: true });
    await host.demo.waitForStatus(instanceId, ['ACTIVE']);
    const working = await host.demo.call('POST', '/backups', { backup: { name: 'kept', instance: instanceId } });
    assert.equal(working.status, 202, JSON.stringify(working.body));
    const completed = await host.demo.waitForBackup(working.body.backup.id, ['COMPLETED', 'FAILED'], 120_000);
    assert.equal(completed.status, 'COMPLETED');

    const text = await scrape();
    assert.equal(sample(text, 'trove_backups', { status: 'FAILED' }), 1);
    assert.equal(sample(text, 'trove_backups', { status: 'COMPLETED' }), 1);
    assert.equal(sample(text, 'trove_tasks_total', { kind: 'backup.create', outcome: 'failed' }), 1);
    assert.equal(sample(text, 'trove_tasks_total', { kind: 'backup.create', outcome: 'done' }), 1);
    assert.ok((sample(text, 'trove_backup_bytes', {}) ?? 0) > 0, 'the completed backup’s bytes are counted');
  });

  it('counts an agent that stops answering', async () => {
    const pid = Number(readFileSync(join(host.dataDir, 'instances', instanceId, 'agent.pid'), 'utf8').trim());
    process.kill(pid, 'SIGSTOP');
    try {
      let unreachable: number | undefined = 0;
      for (let i = 0; i < 40 && unreachable !== 1; i++) {
        await sleep(500);
        unreachable = sample(await scrape(), 'trove_agents_unreachable', {});
      }
      assert.equal(unreachable, 1);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
