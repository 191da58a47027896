import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/** A tiny src/ tree that keeps the layers: instance over backup over state over common. */
const CLEAN: Record<string, string> = {
  'src/common/ids.ts': "export const newId = (): string => 'id';\n",
  'src/state/records.ts': "import { newId } from '../common/ids.js';\nexport const record = (): string => newId();\n",
  'src/backup/backups.ts': "import { record } from '../state/records.js';\nexport const backup = (): string => record();\n",
  'src/instance/instances.ts': "import { backup } from '../backup/backups.js';\nimport { record } from '../state/records.js';\nexport const create = (): string => backup() + record();\n",
  'src/agent/protocol.ts': 'export interface StatusAnswer { status: string }\n',
  'src/agent/datastores/engine/manager.ts': "import type { StatusAnswer } from '../../protocol.js';\nexport const status = (): StatusAnswer => ({ status: 'ok' });\n",
  'src/control/agent-calls.ts': "import type { StatusAnswer } from '../agent/protocol.js';\nexport const read = (a: StatusAnswer): string => a.status;\n",
  'src/instance/instances.test.ts': "import { read } from '../control/agent-calls.js';\nimport { status } from '../agent/datastores/engine/manager.js';\nread(status());\n",
};

/** Runs the project's dependency-cruiser config over a tree of files in a folder of its own. */
function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'trove-layers-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    copyFileSync(CONFIG, join(dir, '.dependency-cruiser.cjs'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', rootDir: 'src', strict: true }, include: ['src/**/*.ts'] }));
    const run = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', '.dependency-cruiser.cjs', '--no-progress'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the layer check (npm run layers)', () => {
  it('passes a tree that keeps the layers (tests may import anything)', () => {
    const run = cruise(CLEAN);
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /no dependency violations/);
  });

  it('fails on an import of a higher layer, an import cycle and an import of engine code', () => {
    // One run for the three (each run costs seconds): the report names every violation.
    const run = cruise({
      ...CLEAN,
      'src/backup/restore.ts': "import { create } from '../instance/instances.js';\nexport const restore = (): string => create();\n",
      'src/common/a.ts': "import { b } from './b.js';\nexport const a = (): string => b();\n",
      'src/common/b.ts': "import { a } from './a.js';\nexport const b = (): string => (Math.random() > 2 ? a() : 'b');\n",
      'src/control/engine.ts': "import { status } from '../agent/datastores/engine/manager.js';\nexport const probe = (): string => status().status;\n",
    });
    assert.notEqual(run.status, 0, run.output);
    assert.match(run.output, /layer-backup: src\/backup\/restore\.ts → src\/instance\/instances\.ts/);
    assert.match(run.output, /no-circular: src\/common\/(a|b)\.ts/);
    assert.match(run.output, /control-plane-speaks-protocol: src\/control\/engine\.ts → src\/agent\/datastores\/engine\/manager\.ts/);
    assert.match(run.output, /no-circular-folders: src\/backup → \s+src\/instance →\s+src\/backup/);
    assert.match(run.output, /x 5 dependency violations/);
  });
});
