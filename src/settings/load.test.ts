import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../common/errors.js';
import { loadSettings } from './load.js';

describe('settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trove-test-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('needs no file: defaults serve 127.0.0.1:8779 with SQLite in ./data', () => {
    const settings = loadSettings({ env: {} });
    assert.equal(settings.server.host, '127.0.0.1');
    assert.equal(settings.server.port, 8779);
    assert.equal(settings.database.url, '');
    assert.equal(settings.data_dir, join(process.cwd(), 'data'));
    assert.equal(settings.quotas.instances, 10);
  });

  it('layers file, then environment, then flags', () => {
    const path = file('layers.toml', '[server]\nport = 9001\nhost = "127.0.0.5"\n[quotas]\ninstances = 3\n');
    const settings = loadSettings({ configFile: path, env: { TROVE_PORT: '9002', TROVE_DATA_DIR: dir }, overrides: { 'server.host': '127.0.0.9' } });
    assert.equal(settings.server.port, 9002);
    assert.equal(settings.server.host, '127.0.0.9');
    assert.equal(settings.quotas.instances, 3);
    assert.equal(settings.data_dir, dir);
  });

  it('reads trove.toml from the data folder when no file is named', () => {
    const dataDir = mkdtempSync(join(dir, 'data-'));
    writeFileSync(join(dataDir, 'trove.toml'), '[log]\nlevel = "warn"\n');
    assert.equal(loadSettings({ env: { TROVE_DATA_DIR: dataDir } }).log.level, 'warn');
  });

  it('names an unknown key', () => {
    const path = file('typo.toml', '[server]\nprot = 1\n');
    assert.throws(
      () => loadSettings({ configFile: path, env: {} }),
      (err: Error) => err instanceof ConfigError && /unknown setting "server\.prot"/.test(err.message),
    );
    const top = file('typo-top.toml', 'colour = "blue"\n');
    assert.throws(() => loadSettings({ configFile: top, env: {} }), /unknown setting "colour"/);
  });

  it('names a key whose value is wrong', () => {
    const path = file('bad.toml', '[quotas]\nbackups = -7\n');
    assert.throws(
      () => loadSettings({ configFile: path, env: {} }),
      (err: Error) => err instanceof ConfigError && /"quotas\.backups"/.test(err.message),
    );
    assert.throws(() => loadSettings({ env: { TROVE_PORT: 'eighty' } }), /server\.port must be a whole number/);
    assert.throws(() => loadSettings({ env: { TROVE_PORT: '70000' } }), /"server\.port"/);
    assert.throws(() => loadSettings({ env: { TROVE_LOG_LEVEL: 'chatty' } }), /"log\.level"/);
  });

  it('reports a file that is not TOML or cannot be read', () => {
    assert.throws(() => loadSettings({ configFile: file('broken.toml', '[server\n'), env: {} }), /not valid TOML/);
    assert.throws(() => loadSettings({ configFile: join(dir, 'missing.toml'), env: {} }), /cannot read config file/);
  });
});
