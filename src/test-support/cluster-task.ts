import assert from 'node:assert/strict';
import { sleep } from '../common/time.js';
import type { TroveHost } from './trove-host.js';

/** Polls a cluster as the demo user until its task is one of `tasks` (or it is gone: 'GONE'); returns its view. */
export async function waitForClusterTask(host: TroveHost, clusterId: string, tasks: string[], timeoutMs: number): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const response = await host.demo.call('GET', `/clusters/${clusterId}`);
    last = response.status === 404 ? { task: { name: 'GONE' } } : response.body.cluster;
    if (tasks.includes(last.task.name)) return last;
    await sleep(1000);
  }
  assert.fail(`cluster ${clusterId} is still ${JSON.stringify(last)} after ${timeoutMs / 1000} s\n${host.agentLogs(3000)}`);
}
