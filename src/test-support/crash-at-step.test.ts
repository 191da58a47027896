import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crashAtStepEnv, parseCrashPoint } from './crash-at-step.js';

const TASK_MANAGER = fileURLToPath(new URL('../control/task-manager.js', import.meta.url));

/** A process that registers a kind of two steps and runs them in order, printing each step's name as it ends. */
const SCRIPT = `
const { TaskManager } = await import(${JSON.stringify(TASK_MANAGER)});
const manager = new TaskManager(undefined, {}, undefined);
const step = (name) => ({ name, run: async () => { process.stdout.write(name + ' ran\\n'); return 'done'; } });
try {
  manager.register({ kind: 'demo.kind', deadlineSeconds: 60, steps: [step('first'), step('second')], onFailure: async () => {} });
} catch (err) {
  process.stdout.write('refused: ' + err.message + '\\n');
  process.exit(3);
}
for (const s of manager.kinds.get('demo.kind').steps) await s.run({});
`;

describe('the crash-at-step hook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trove-crash-hook-'));
  const script = join(dir, 'run.mjs');
  writeFileSync(script, SCRIPT);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const runWith = (env: NodeJS.ProcessEnv, argv = ['serve']) => spawnSync(process.execPath, [script, ...argv], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 30_000 });

  it('kills the server with SIGKILL once the named step has run, before the next, and notes it', () => {
    const note = join(dir, 'after-note');
    const result = runWith(crashAtStepEnv({ kind: 'demo.kind', step: 'first', when: 'after' }, note));
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    assert.equal(result.stdout, 'first ran\n');
    assert.equal(readFileSync(note, 'utf8'), 'demo.kind:first:after\n');
  });

  it('kills it before the named step runs', () => {
    const result = runWith(crashAtStepEnv({ kind: 'demo.kind', step: 'second', when: 'before' }, join(dir, 'before-note')));
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    assert.equal(result.stdout, 'first ran\n');
  });

  it('changes nothing without the variable, nor in a process that is not the server (an agent inherits the variable)', () => {
    for (const result of [runWith({}), runWith(crashAtStepEnv({ kind: 'demo.kind', step: 'first', when: 'after' }, join(dir, 'agent-note')), ['agent'])]) {
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, 'first ran\nsecond ran\n');
    }
    assert.equal(existsSync(join(dir, 'agent-note')), false);
  });

  it('refuses a step the kind does not have, and a malformed point', () => {
    const result = runWith(crashAtStepEnv({ kind: 'demo.kind', step: 'third', when: 'after' }, join(dir, 'n')));
    assert.equal(result.status, 3);
    assert.match(result.stdout, /has no step third/);
    assert.throws(() => parseCrashPoint('demo.kind:first'), /must be <task kind>:<step>:<before\|after>/);
    assert.deepEqual(parseCrashPoint('instance.create:prepare:before'), { kind: 'instance.create', step: 'prepare', when: 'before' });
  });
});
