import assert from 'node:assert/strict';
import type { ApiClient } from './http-client.js';

/** Takes a backup through the API and waits until it is COMPLETED and its instance ACTIVE again; returns the backup's view. */
export async function takeBackup(api: ApiClient, instanceId: string, name: string, extra: object = {}): Promise<any> {
  const created = await api.call('POST', '/backups', { backup: { name, instance: instanceId, ...extra } });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const done = await api.waitForBackup(created.body.backup.id, ['COMPLETED', 'FAILED']);
  assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
  await api.waitForStatus(instanceId, ['ACTIVE']);
  return done;
}
