import type { GuestAdmin } from './datastore.js';

type Change = Exclude<keyof GuestAdmin, 'listDatabases' | 'listUsers'>;
const CHANGES: Change[] = ['createDatabases', 'deleteDatabase', 'createUsers', 'updateUser', 'deleteUser', 'grant', 'revoke', 'enableRoot', 'disableRoot'];

/** The admin, its changes queued; `settled` resolves once the changes queued so far have ended. */
export type SerialAdmin = GuestAdmin & { settled(): Promise<void> };

/**
 * The module's admin operations with its changes run one at a time. Each change checks the
 * engine (does the user exist?) before it acts; two requests interleaved between check and act
 * would meet the engine's own refusal instead of a clear answer. Reads run at once.
 * `beforeChange` runs when a change's turn comes, and refuses it by throwing (a fenced source).
 */
export function serialised(admin: GuestAdmin, beforeChange: () => void = () => undefined): SerialAdmin {
  let queue: Promise<unknown> = Promise.resolve();
  const wrapped: SerialAdmin = { ...admin, settled: () => queue.then(() => undefined) };
  for (const name of CHANGES) {
    const change = admin[name] as (...args: unknown[]) => Promise<unknown>;
    (wrapped as unknown as Record<Change, (...args: unknown[]) => Promise<unknown>>)[name] = (...args: unknown[]) => {
      const run = queue.then(() => {
        beforeChange();
        return change.apply(admin, args);
      });
      // The caller hears a failure through the promise returned; the queue only goes on past it.
      queue = run.catch(() => undefined);
      return run;
    };
  }
  return wrapped;
}
