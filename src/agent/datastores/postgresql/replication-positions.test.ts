import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextSegment, walFileName } from './backup.js';
import { lsnProgress, renderReplicationConfig } from './replication.js';

describe('PostgreSQL WAL positions and standby settings', () => {
  it('names the WAL segment of an LSN as pg_walfile_name does, on any timeline', () => {
    assert.equal(walFileName(1, '0/2000100'), '000000010000000000000002');
    assert.equal(walFileName(2, '16/B374D848'), '0000000200000016000000B3');
    assert.equal(walFileName(1, '0/FFFFFFFF'), '0000000100000000000000FF');
    assert.throws(() => walFileName(1, 'nonsense'), /not an LSN/);
  });

  it('names the segment after another, across the end of a 4 GiB log file', () => {
    assert.equal(nextSegment('000000010000000000000002'), '000000010000000000000003');
    assert.equal(nextSegment('0000000100000000000000FF'), '000000010000000100000000');
    assert.equal(nextSegment(walFileName(3, '16/B374D848')), walFileName(3, '16/B4000000'));
  });

  it('turns LSNs into numbers that order as the LSNs do', () => {
    assert.equal(lsnProgress('0/3000000'), 0x3000000);
    assert.ok(lsnProgress('1/0') > lsnProgress('0/FFFFFFFF'));
    assert.equal(lsnProgress(''), 0);
  });

  it('gives a replica its source and slot, and a fenced or source server no primary', () => {
    const source = { host: '127.0.0.2', port: 5432, user: 'trove_replication', password: "it's-a-secret-password", retainer: 'replica_abc' };
    const replica = renderReplicationConfig({ role: 'replica', source });
    assert.match(replica, /primary_slot_name = 'replica_abc'/);
    assert.match(replica, /recovery_target_timeline = 'latest'/);
    // The conninfo quotes the password for libpq, and the whole value is quoted again for the config file.
    assert.ok(replica.includes("password=''it\\''s-a-secret-password''"), replica);
    assert.match(renderReplicationConfig({ role: 'fenced' }), /primary_conninfo = ''/);
    assert.match(renderReplicationConfig({ role: 'source' }), /primary_conninfo = ''/);
  });
});
