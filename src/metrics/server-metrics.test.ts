import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerMetrics } from './server-metrics.js';

describe('server metrics', () => {
  it('counts requests and tasks by their labels, and reads gauges afresh at each scrape', async () => {
    const metrics = new ServerMetrics();
    metrics.requestAnswered('GET', '/v1.0/:tenant_id/instances', 200, 0.004);
    metrics.requestAnswered('GET', '/v1.0/:tenant_id/instances', 200, 0.006);
    metrics.taskFinished('instance.create', 'failed', 12);
    let count = 3;
    metrics.observe('trove_things', 'Things.', ['kind'], async () => [{ labels: { kind: 'a' }, value: count }]);
    const first = (await metrics.scrape()).body;
    assert.match(first, /^trove_http_requests_total\{method="GET",route="\/v1\.0\/:tenant_id\/instances",status="200"\} 2$/m);
    assert.match(first, /^trove_tasks_total\{kind="instance\.create",outcome="failed"\} 1$/m);
    assert.match(first, /^trove_task_duration_seconds_bucket\{le="10",kind="instance\.create",outcome="failed"\} 0$/m);
    assert.match(first, /^trove_task_duration_seconds_bucket\{le="30",kind="instance\.create",outcome="failed"\} 1$/m);
    assert.match(first, /^trove_things\{kind="a"\} 3$/m);
    count = 5;
    assert.match((await metrics.scrape()).body, /^trove_things\{kind="a"\} 5$/m);
  });

  it('drops a gauge reading that is gone from the store', async () => {
    const metrics = new ServerMetrics();
    let readings = [{ labels: { status: 'ACTIVE' }, value: 1 }];
    metrics.observe('trove_seen', 'Seen.', ['status'], async () => readings);
    assert.match((await metrics.scrape()).body, /trove_seen\{status="ACTIVE"\} 1/);
    readings = [{ labels: { status: 'ERROR' }, value: 1 }];
    const second = (await metrics.scrape()).body;
    assert.doesNotMatch(second, /status="ACTIVE"/);
    assert.match(second, /trove_seen\{status="ERROR"\} 1/);
  });
});
