import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downSince, retainerOf } from './replication-set.js';

describe('replication sets', () => {
  it("names a replica's slot after its id, within PostgreSQL's 63 characters", () => {
    const slot = retainerOf('6592513f-971e-436f-b36c-765fe84e69e9');
    assert.equal(slot, 'replica_6592513f_971e_436f_b36c_765fe84e69e9');
    assert.match(slot, /^[a-z0-9_]{1,63}$/);
  });

  it('counts a member down from when this server first failed to reach it, or from when its engine stopped being healthy', () => {
    const changed = '2026-12-01T10:00:00.000Z';
    const unreachable = new Date('2026-12-01T10:05:00.000Z');
    assert.equal(downSince({ service_status: 'HEALTHY', service_status_updated: changed }, undefined), undefined);
    assert.deepEqual(downSince({ service_status: 'HEALTHY', service_status_updated: changed }, unreachable), unreachable);
    assert.deepEqual(downSince({ service_status: 'CRASHED', service_status_updated: changed }, undefined), new Date(changed));
    assert.deepEqual(downSince({ service_status: 'CRASHED', service_status_updated: changed }, unreachable), unreachable);
  });
});
