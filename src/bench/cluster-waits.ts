import { sleep } from '../common/time.js';
import type { ApiClient } from '../test-support/http-client.js';

export interface BenchClusterView {
  instances: Array<{ id: string; name: string; ip: string[] }>;
}

/** Polls a cluster until its task is NONE (every member in and ACTIVE); its fault fails the bench. */
export async function idleCluster(api: ApiClient, id: string, timeoutMs: number, pollMs = 100): Promise<BenchClusterView> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const view = (await api.call('GET', `/clusters/${id}`)).body.cluster;
    if (view.fault) throw new Error(`cluster failed: ${view.fault.message}`);
    if (view.task.name === 'NONE') return view;
    await sleep(pollMs);
  }
  throw new Error(`cluster ${id} still busy after ${timeoutMs / 1000} s`);
}

/** Deletes a cluster and waits (two minutes at most) until it is gone. */
export async function deleteCluster(api: ApiClient, id: string): Promise<void> {
  await api.call('DELETE', `/clusters/${id}`);
  for (let i = 0; i < 1200 && (await api.call('GET', `/clusters/${id}`)).status !== 404; i++) await sleep(100);
}
