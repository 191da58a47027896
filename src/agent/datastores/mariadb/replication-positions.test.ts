import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gtidOf } from './backup.js';
import { serverIdOf } from './config-file.js';
import { gtidProgress, renderReplicationConfig } from './replication.js';

describe('MariaDB binary log positions', () => {
  it('gives each instance a stable server id in 1 .. 2^32-1', () => {
    const id = '6592513f-971e-436f-b36c-765fe84e69e9';
    assert.equal(serverIdOf(id), serverIdOf(id));
    assert.notEqual(serverIdOf(id), serverIdOf('0ffc35c0-0000-4000-8000-000000000000'));
    for (const edge of ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff']) {
      const serverId = serverIdOf(edge);
      assert.ok(serverId >= 1 && serverId <= 0xffff_ffff, String(serverId));
    }
  });

  it("reads the GTID of the backup's last transaction from xtrabackup_info", () => {
    assert.equal(gtidOf("uuid = x\nbinlog_pos = filename 'mysql-bin.000001', position '1234', GTID of the last change '0-1663020137-5'\n"), '0-1663020137-5');
    assert.equal(gtidOf("binlog_pos = filename 'mysql-bin.000001', position '328', GTID of the last change '0-1-2,1-7-9'"), '0-1-2,1-7-9');
    assert.equal(gtidOf("binlog_pos = filename 'mysql-bin.000001', position '328', GTID of the last change ''"), undefined);
    assert.equal(gtidOf('tool_name = mariabackup\n'), undefined);
  });
});

describe('MariaDB replication roles and progress', () => {
  it('orders members of a set by the highest sequence number of their GTID positions', () => {
    assert.equal(gtidProgress('0-11-42'), 42);
    assert.equal(gtidProgress('0-11-42,1-3-7'), 42);
    assert.equal(gtidProgress(''), 0);
    assert.ok(gtidProgress('0-22-43') > gtidProgress('0-11-42'), 'a new source continues the sequence');
  });

  it('starts only a source writable, and a fenced source without replication', () => {
    assert.match(renderReplicationConfig({ role: 'source' }), /read_only = 0\nskip_slave_start = 1/);
    assert.match(renderReplicationConfig({ role: 'fenced' }), /read_only = 1\nskip_slave_start = 1/);
    const replica = renderReplicationConfig({ role: 'replica', source: { host: '127.0.0.2', port: 3306, user: 'trove_replication', password: 'p'.repeat(32), retainer: 'replica_x' } });
    assert.match(replica, /read_only = 1\nskip_slave_start = 0/);
    assert.ok(!replica.includes('p'.repeat(32)), 'the password stays in the server (CHANGE MASTER), not in a config file');
  });
});
