import { setTimeout as delay } from 'node:timers/promises';

/** Trove's timestamps: ISO-8601 to the second, no zone suffix (e.g. 2026-11-24T21:38:14). */
export function troveTime(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/** Keystone's timestamps: microsecond precision with a Z suffix. */
export function keystoneTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Waits `ms` milliseconds; with a signal, rejects (an AbortError) as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined);
}

/** How to ask again: the first pause, doubled after each ask up to `maxPauseMs` (default: no growth). */
export interface Polling {
  timeoutMs: number;
  pauseMs: number;
  maxPauseMs?: number;
  /** Ends the wait at once (the pause rejects with an AbortError). */
  signal?: AbortSignal;
}

/**
 * Asks until `ask` gives a value (anything but undefined), pausing between asks; once the time is
 * up, throws the error `late` makes (it may ask the world why).
 */
export async function pollUntil<T>(ask: () => T | undefined | Promise<T | undefined>, polling: Polling, late: () => Error | Promise<Error>): Promise<T> {
  const deadline = Date.now() + polling.timeoutMs;
  for (let pause = polling.pauseMs; ; pause = Math.min(pause * 2, polling.maxPauseMs ?? pause)) {
    const value = await ask();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw await late();
    await sleep(pause, polling.signal);
  }
}
