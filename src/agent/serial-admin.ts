import type { GuestAdmin } from './datastore.js';

type Change = Exclude<keyof GuestAdmin, 'listDatabases' | 'listUsers'>;
const CHANGES: Change[] = ['createDatabases', 'deleteDatabase', 'createUsers', 'updateUser', 'deleteUser', 'grant', 'revoke', 'enableRoot', 'disableRoot'];

/**
 * The module's admin operations with its changes run one at a time. Each change checks the
 * engine (does the user exist?) before it acts; two requests interleaved between check and act
 * would meet the engine's own refusal instead of a clear answer. Reads run at once.
 */
export function serialised(admin: GuestAdmin): GuestAdmin {
  let queue: Promise<unknown> = Promise.resolve();
  const wrapped: GuestAdmin = { ...admin };
  for (const name of CHANGES) {
    const change = admin[name] as (...args: unknown[]) => Promise<unknown>;
    (wrapped as unknown as Record<Change, (...args: unknown[]) => Promise<unknown>>)[name] = (...args: unknown[]) => {
      const run = queue.then(() => change.apply(admin, args));
      queue = run.catch(() => undefined);
      return run;
    };
  }
  return wrapped;
}
