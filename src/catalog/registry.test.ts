import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../common/errors.js';
import { DESCRIPTORS } from './descriptors/index.js';
import type { DatastoreDescriptor } from './descriptor.js';
import { discoverVersions, expandPath } from './discovery.js';
import { DatastoreCatalog } from './registry.js';

const NO_SETTINGS = { disabled: [], versions: [] };

describe('datastore catalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trove-test-catalog-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** An executable that prints a version line, standing in for an engine binary's --version. */
  function versionScript(path: string, output: string) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, `#!/bin/sh\necho '${output}'\n`);
    chmodSync(path, 0o755);
  }

  const descriptor = (probeDir: string): DatastoreDescriptor => ({
    ...DESCRIPTORS.find((d) => d.name === 'postgresql')!,
    probe: { executables: [`${probeDir}/*/bin/postgres`], args: ['--version'], pattern: '\\(PostgreSQL\\) ((\\d+)(?:\\.\\d+)?)' },
  });

  it('offers one version per installed executable, highest as default, with stable ids', async () => {
    versionScript(join(dir, 'pg', '13', 'bin', 'postgres'), 'postgres (PostgreSQL) 13.9');
    versionScript(join(dir, 'pg', '15', 'bin', 'postgres'), 'postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)');
    const catalog = await DatastoreCatalog.build([descriptor(join(dir, 'pg'))], NO_SETTINGS);
    const postgres = catalog.get('postgresql');
    assert.deepEqual(
      postgres.versions.map((v) => [v.name, v.version, v.installed]),
      [
        ['13', '13.9', true],
        ['15', '15.18', true],
      ],
    );
    assert.equal(postgres.defaultVersionId, postgres.versions[1]!.id);
    const again = await DatastoreCatalog.build([descriptor(join(dir, 'pg'))], NO_SETTINGS);
    assert.equal(again.get('postgresql').versions[1]!.id, postgres.versions[1]!.id);
  });

  it('omits a datastore whose engine is not installed, and one that is disabled', async () => {
    const empty = await DatastoreCatalog.build([descriptor(join(dir, 'nothing-here'))], NO_SETTINGS);
    assert.equal(empty.find('postgresql'), undefined);
    const disabled = await DatastoreCatalog.build([descriptor(join(dir, 'pg'))], { disabled: ['postgresql'], versions: [] });
    assert.equal(disabled.find('postgresql'), undefined);
  });

  it('adds configured versions, which may be inactive', async () => {
    const catalog = await DatastoreCatalog.build([descriptor(join(dir, 'pg'))], { disabled: [], versions: [{ datastore: 'postgresql', version: '16', active: false, image: 'registry/pg:16' }] });
    const all = catalog.get('postgresql', true).versions.map((v) => [v.name, v.active, v.installed]);
    assert.deepEqual(all, [
      ['13', true, true],
      ['15', true, true],
      ['16', false, false],
    ]);
    assert.deepEqual(
      catalog.get('postgresql', false).versions.map((v) => v.name),
      ['13', '15'],
    );
  });

  it('refuses configuration naming an unknown datastore, naming the key', async () => {
    await assert.rejects(DatastoreCatalog.build(DESCRIPTORS, { disabled: [], versions: [{ datastore: 'oracle', version: '19', active: true, image: '' }] }), (err: Error) => err instanceof ConfigError && /catalog\.versions\[0\]\.datastore/.test(err.message));
    await assert.rejects(DatastoreCatalog.build(DESCRIPTORS, { disabled: ['db2'], versions: [] }), /catalog\.disabled\[0\]/);
  });

  it('expands one-segment wildcards to existing paths only', () => {
    assert.deepEqual(expandPath(join(dir, 'pg', '*', 'bin', 'postgres')), [join(dir, 'pg', '13', 'bin', 'postgres'), join(dir, 'pg', '15', 'bin', 'postgres')]);
    assert.deepEqual(expandPath(join(dir, 'none', '*', 'x')), []);
  });

  it('discovers the engines installed on this host from Debian’s packages', async () => {
    const catalog = await DatastoreCatalog.build(DESCRIPTORS, NO_SETTINGS);
    const offered = Object.fromEntries(catalog.list(false).map((ds) => [ds.name, ds.versions.map((v) => v.name)]));
    // The test set-up installs mariadb-server, postgresql and redis-server from Debian 12.
    assert.deepEqual(offered, { mysql: ['10.11'], mariadb: ['10.11'], postgresql: ['15'], redis: ['7.0'] });
    const mariadb = await discoverVersions(DESCRIPTORS.find((d) => d.name === 'mariadb')!.probe);
    assert.match(mariadb[0]!.full, /^10\.11\.\d+$/);
  });
});
