import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RoleFile } from './replication-role.js';

describe('the replication role file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trove-role-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes every instance a source until told otherwise, and keeps a replica’s source private', () => {
    const file = new RoleFile(join(dir, 'a.json'));
    assert.deepEqual(file.read(), { role: 'source' });
    const source = { host: '127.0.0.2', port: 3306, user: 'trove_replication', password: 'x'.repeat(32), retainer: 'replica_a' };
    file.write({ role: 'replica', source });
    assert.deepEqual(file.read(), { role: 'replica', source });
    assert.equal(statSync(join(dir, 'a.json')).mode & 0o777, 0o600);
  });

  it('reads a replica’s role written before the retainer had its name', () => {
    const source = { host: '127.0.0.2', port: 5432, user: 'trove_replication', password: 'x'.repeat(32) };
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ role: 'replica', source: { ...source, slot: 'replica_b' } }));
    assert.deepEqual(new RoleFile(join(dir, 'old.json')).read(), { role: 'replica', source: { ...source, retainer: 'replica_b' } });
  });

  it('reads a damaged or unknown role as fenced, so the engine never starts writable by mistake', () => {
    for (const [name, text] of [
      ['broken.json', '{"role": "sou'],
      ['unknown.json', '{"role": "leader"}'],
      ['sourceless.json', '{"role": "replica"}'],
    ] as const) {
      writeFileSync(join(dir, name), text);
      assert.deepEqual(new RoleFile(join(dir, name)).read(), { role: 'fenced' }, name);
    }
  });
});
