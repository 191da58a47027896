import { sleep } from './time.js';

/** True while a process with this pid exists (a zombie not yet reaped counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to each process and waits up to `waitMs` for all of them to be gone; true when they are. */
export async function signalAndWait(pids: readonly number[], signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + waitMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  return !pids.some(alive);
}

/**
 * A clean-shutdown signal (SIGTERM unless told), a grace period, then SIGKILL for whatever is
 * left, waiting up to `killWaitMs` for that to go too.
 */
export async function terminate(pids: readonly number[], graceMs: number, options: { signal?: NodeJS.Signals; killWaitMs?: number } = {}): Promise<void> {
  if (await signalAndWait(pids, options.signal ?? 'SIGTERM', graceMs)) return;
  await signalAndWait(pids.filter(alive), 'SIGKILL', options.killWaitMs ?? 5000);
}
