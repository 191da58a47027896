import type { Logger } from './log.js';

/**
 * Waits for work whose failure must not fail the caller (a cleanup, a courtesy to another
 * member), and logs what it swallows: `what` and the error's message, never the request.
 */
export async function bestEffort<T>(log: Pick<Logger, 'warn'>, what: string, work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, `${what} failed; going on without it`);
    return undefined;
  }
}
