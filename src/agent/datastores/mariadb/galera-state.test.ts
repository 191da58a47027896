import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AgentConfig } from '../../protocol.js';
import { allowGaleraBootstrap, parseGrastate, parseRecoveredPosition } from './galera-state.js';

const CLEAN = `# GALERA saved state
version: 2.1
uuid:    9acf4d34-acdb-11e6-bcc3-d3e36276629f
seqno:   1523
safe_to_bootstrap: 0
`;

describe('Galera saved state', () => {
  it('reads the position of a clean stop, and -1 after a crash', () => {
    assert.deepEqual(parseGrastate(CLEAN), { history: '9acf4d34-acdb-11e6-bcc3-d3e36276629f', seqno: 1523, safe_to_bootstrap: false });
    assert.equal(parseGrastate(CLEAN.replace('seqno:   1523', 'seqno:   -1')).seqno, -1);
    assert.equal(parseGrastate(CLEAN.replace('safe_to_bootstrap: 0', 'safe_to_bootstrap: 1')).safe_to_bootstrap, true);
    assert.deepEqual(parseGrastate(''), { history: '', seqno: -1, safe_to_bootstrap: false });
    assert.equal(parseGrastate(CLEAN.replace('1523', 'lots')).seqno, -1);
  });

  it("takes the last position the engine's recovery wrote", () => {
    const log = [
      '2026-12-03 11:20:01 0 [Note] InnoDB: Starting crash recovery from checkpoint LSN=48213',
      '2026-12-03 11:20:02 0 [Note] WSREP: Recovered position: 9acf4d34-acdb-11e6-bcc3-d3e36276629f:1522',
      '2026-12-03 11:20:02 0 [Note] WSREP: Recovered position: 9acf4d34-acdb-11e6-bcc3-d3e36276629f:1530',
    ].join('\n');
    assert.deepEqual(parseRecoveredPosition(log), { history: '9acf4d34-acdb-11e6-bcc3-d3e36276629f', seqno: 1530 });
    assert.equal(parseRecoveredPosition('[ERROR] Aborting'), undefined);
  });

  it('marks the chosen member safe to start the cluster from, keeping the rest of the file', () => {
    const volume = mkdtempSync(join(tmpdir(), 'trove-grastate-'));
    try {
      const config = { volume_dir: volume, run_dir: volume, log_dir: volume } as AgentConfig;
      const file = join(volume, 'mysql', 'grastate.dat');
      mkdirSync(join(volume, 'mysql'));
      writeFileSync(file, CLEAN);
      allowGaleraBootstrap(config);
      assert.deepEqual(parseGrastate(readFileSync(file, 'utf8')), { history: '9acf4d34-acdb-11e6-bcc3-d3e36276629f', seqno: 1523, safe_to_bootstrap: true });
      writeFileSync(file, CLEAN.replace('safe_to_bootstrap: 0\n', ''));
      allowGaleraBootstrap(config);
      assert.equal(parseGrastate(readFileSync(file, 'utf8')).safe_to_bootstrap, true);
    } finally {
      rmSync(volume, { recursive: true, force: true });
    }
  });
});
