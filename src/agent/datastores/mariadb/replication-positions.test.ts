import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gtidOf } from './backup.js';
import { serverIdOf } from './config-file.js';

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
