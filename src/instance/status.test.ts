import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_SILENCE_MS, deriveStatus, type ObservedState } from './status.js';

const now = new Date('2026-11-25T12:00:00Z');
const recently = new Date(now.getTime() - 2000);
const base: ObservedState = { taskStatus: 'NONE', serviceStatus: 'HEALTHY', lastContactAt: recently, hasFault: false };
const derive = (change: Partial<ObservedState>) => deriveStatus({ ...base, ...change }, now);

describe('instance status', () => {
  it('is ACTIVE/HEALTHY when idle and the agent reports a healthy engine', () => {
    assert.deepEqual(derive({}), { status: 'ACTIVE', operatingStatus: 'HEALTHY' });
  });

  it('is RESTART_REQUIRED when a configuration change waits for a restart, and only while idle and healthy', () => {
    assert.deepEqual(derive({ restartRequired: true }), { status: 'RESTART_REQUIRED', operatingStatus: 'HEALTHY' });
    assert.equal(derive({ restartRequired: true, taskStatus: 'REBOOTING' }).status, 'REBOOT');
    assert.equal(derive({ restartRequired: true, serviceStatus: 'CRASHED' }).status, 'SHUTDOWN');
  });

  it('follows the task first: BUILD, SHUTDOWN while deleting, REBOOT, ERROR after a failed task', () => {
    assert.equal(derive({ taskStatus: 'BUILDING', serviceStatus: 'NEW' }).status, 'BUILD');
    assert.equal(derive({ taskStatus: 'BUILDING', hasFault: true }).status, 'ERROR');
    assert.deepEqual(derive({ taskStatus: 'DELETING' }), { status: 'SHUTDOWN', operatingStatus: '' });
    assert.equal(derive({ taskStatus: 'REBOOTING' }).status, 'REBOOT');
    assert.equal(derive({ taskStatus: 'RESIZING' }).status, 'RESIZE');
    assert.deepEqual(derive({ taskStatus: 'BACKUP' }), { status: 'BACKUP', operatingStatus: 'HEALTHY' });
    assert.equal(derive({ taskStatus: 'ERROR' }).status, 'ERROR');
  });

  it('shows a replication set change on every member: PROMOTE, EJECT, DETACH, even when the source is down', () => {
    assert.deepEqual(derive({ taskStatus: 'PROMOTING' }), { status: 'PROMOTE', operatingStatus: 'HEALTHY' });
    assert.deepEqual(derive({ taskStatus: 'EJECTING', serviceStatus: 'CRASHED', lastContactAt: undefined }), { status: 'EJECT', operatingStatus: 'SHUTDOWN' });
    assert.equal(derive({ taskStatus: 'DETACHING' }).status, 'DETACH');
  });

  it('shows an engine that is down as SHUTDOWN, and one that failed as ERROR', () => {
    assert.deepEqual(derive({ serviceStatus: 'CRASHED' }), { status: 'SHUTDOWN', operatingStatus: 'SHUTDOWN' });
    assert.deepEqual(derive({ serviceStatus: 'SHUTDOWN' }), { status: 'SHUTDOWN', operatingStatus: 'SHUTDOWN' });
    assert.deepEqual(derive({ serviceStatus: 'FAILED' }), { status: 'ERROR', operatingStatus: 'FAILED' });
  });

  it('marks a silent agent unreachable once it has said nothing for the silence limit', () => {
    const justInTime = new Date(now.getTime() - AGENT_SILENCE_MS);
    assert.equal(derive({ lastContactAt: justInTime }).status, 'ACTIVE');
    const silent = new Date(now.getTime() - AGENT_SILENCE_MS - 1);
    assert.deepEqual(derive({ lastContactAt: silent }), { status: 'SHUTDOWN', operatingStatus: 'UNKNOWN', unreachableSince: silent });
    assert.equal(derive({ lastContactAt: undefined }).operatingStatus, 'UNKNOWN');
  });
});
