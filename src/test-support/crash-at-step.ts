/**
 * A crash on cue, for tests: loaded into `trove serve` with Node's `--import` (see
 * crashAtStepEnv), it makes the server kill itself with SIGKILL at one named step boundary of
 * one task kind, as a power cut there would. Nothing in the product reads this: a server
 * started without the preload runs exactly as it always does.
 *
 *   TROVE_TEST_CRASH_AT=<task kind>:<step name>:<before|after>
 *
 * `before` dies when the step is about to run (the steps before it are recorded); `after` dies
 * once the step has done its work but before the task manager records it, so the resumed task
 * runs the step again and its check of the world is what is tested. The crash comes once:
 * the server started again without the variable does not crash.
 */
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CRASH_AT_VARIABLE = 'TROVE_TEST_CRASH_AT';
/** Where the dying server notes the moment, so a test knows the crash came from the hook. */
export const CRASH_NOTE_VARIABLE = 'TROVE_TEST_CRASH_NOTE';

export type CrashMoment = 'before' | 'after';

export interface CrashPoint {
  kind: string;
  step: string;
  when: CrashMoment;
}

export function parseCrashPoint(text: string): CrashPoint {
  const [kind, step, when, ...rest] = text.split(':');
  if (!kind || !step || (when !== 'before' && when !== 'after') || rest.length > 0) throw new Error(`${CRASH_AT_VARIABLE} must be <task kind>:<step>:<before|after>, got "${text}"`);
  return { kind, step, when };
}

/** The environment that makes a `trove serve` die at `point`, noting it in `noteFile`. */
export function crashAtStepEnv(point: CrashPoint, noteFile: string): NodeJS.ProcessEnv {
  return {
    NODE_OPTIONS: `--import=${fileURLToPath(import.meta.url)}`,
    [CRASH_AT_VARIABLE]: `${point.kind}:${point.step}:${point.when}`,
    [CRASH_NOTE_VARIABLE]: noteFile,
  };
}

interface StepLike {
  name: string;
  run(run: unknown): Promise<unknown>;
}

function die(point: CrashPoint): never {
  const note = process.env[CRASH_NOTE_VARIABLE];
  if (note) appendFileSync(note, `${point.kind}:${point.step}:${point.when}\n`);
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is not deliverable late: nothing after this line runs.
  throw new Error('unreachable');
}

/** Wraps the named step of every task kind registered from now on. */
export async function installCrashHook(point: CrashPoint): Promise<void> {
  const { TaskManager } = await import('../control/task-manager.js');
  const register = TaskManager.prototype.register;
  TaskManager.prototype.register = function (this: InstanceType<typeof TaskManager>, kind) {
    if (kind.kind !== point.kind) return register.call(this, kind);
    const steps = (kind.steps as StepLike[]).map((step) =>
      step.name !== point.step
        ? step
        : {
            ...step,
            async run(run: unknown) {
              if (point.when === 'before') die(point);
              const outcome = await step.run(run);
              if (outcome === 'done') die(point);
              return outcome;
            },
          },
    );
    if (!steps.some((s, i) => s !== kind.steps[i])) throw new Error(`${CRASH_AT_VARIABLE}: task kind ${point.kind} has no step ${point.step}`);
    return register.call(this, { ...kind, steps } as typeof kind);
  };
}

// The agents `serve` starts inherit NODE_OPTIONS: only the server itself takes the hook.
const wanted = process.env[CRASH_AT_VARIABLE];
if (wanted && process.argv.includes('serve')) await installCrashHook(parseCrashPoint(wanted));
