import { createHash, randomBytes } from 'node:crypto';
import { TroveFault } from '../common/errors.js';
import type { Store } from '../state/database.js';

export interface LoginLimitSettings {
  /** Failed logins of one user within the window before its logins are refused; 0: no limit. */
  failuresPerUser: number;
  /** Failed logins from one address within the window before its logins are refused; 0: no limit. */
  failuresPerSource: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimitSettings = { failuresPerUser: 5, failuresPerSource: 20, windowSeconds: 900 };

/** 429: too many failed logins; Retry-After says when the oldest counted failure leaves the window. */
export class LoginsLimited extends TroveFault {
  readonly status = 429;
  readonly faultName = 'overLimit' as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** One login in progress: its rows are counted by every other login until it ends. */
export interface LoginAttempt {
  /** A wrong password: the rows stay and count against the user and the source. */
  failed(): Promise<void>;
  /** The right password: the user's failures are forgiven; the source's stay until they age out. */
  succeeded(): Promise<void>;
}

const NO_LIMIT: LoginAttempt = { failed: async () => undefined, succeeded: async () => undefined };

/** Counters are keyed by digest: user names as sent can be long and are not kept in clear. */
function counterKey(kind: 'user' | 'source', value: string): string {
  return `${kind}:${createHash('sha256').update(value).digest('hex').slice(0, 40)}`;
}

/**
 * Failed logins counted in the store, so every process sharing it shares the counts. An
 * attempt writes its rows before it counts, and counts only the others': of logins racing in
 * several processes, at most the allowance gets to try a password.
 */
export class LoginLimiter {
  constructor(
    private readonly db: Store,
    private readonly settings: LoginLimitSettings,
    private readonly now: () => Date,
  ) {}

  /**
   * Starts a login of `user` (a user id, or the name sent when no such user exists) from
   * `source`; throws LoginsLimited, without trying the password, when either is over its allowance.
   */
  async begin(user: string, source: string | undefined): Promise<LoginAttempt> {
    const counters: Array<{ key: string; limit: number; what: string }> = [];
    if (this.settings.failuresPerUser > 0) counters.push({ key: counterKey('user', user), limit: this.settings.failuresPerUser, what: 'this user' });
    if (source !== undefined && this.settings.failuresPerSource > 0) counters.push({ key: counterKey('source', source), limit: this.settings.failuresPerSource, what: 'this address' });
    if (counters.length === 0) return NO_LIMIT;

    const now = this.now();
    const windowMs = this.settings.windowSeconds * 1000;
    const cutoff = new Date(now.getTime() - windowMs).toISOString();
    const attemptId = randomBytes(12).toString('hex');
    const at = now.toISOString();
    // Failures older than the window count for nothing: pruning them here keeps the table to
    // what the window holds.
    await this.db.deleteFrom('login_failures').where('attempted_at', '<=', cutoff).execute();
    await this.db
      .insertInto('login_failures')
      .values(counters.map((c) => ({ counter: c.key, attempt_id: attemptId, attempted_at: at })))
      .execute();

    let retryAfterMs = 0;
    let over: string | undefined;
    for (const counter of counters) {
      const others = await this.db.selectFrom('login_failures').select('attempted_at').where('counter', '=', counter.key).where('attempted_at', '>', cutoff).where('attempt_id', '!=', attemptId).orderBy('attempted_at').execute();
      if (others.length < counter.limit) continue;
      // The allowance returns when enough of the counted failures have left the window.
      const freeing = others[others.length - counter.limit];
      const wait = freeing ? new Date(freeing.attempted_at).getTime() + windowMs - now.getTime() : windowMs;
      if (wait >= retryAfterMs) {
        retryAfterMs = wait;
        over = counter.what;
      }
    }
    const mine = () => this.db.deleteFrom('login_failures').where('attempt_id', '=', attemptId);
    if (over !== undefined) {
      // A refused login tried no password: it must not lengthen the lock.
      await mine().execute();
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      throw new LoginsLimited(`Too many failed logins for ${over}: try again in ${seconds} seconds.`, seconds);
    }
    const userKey = counters.find((c) => c.key.startsWith('user:'))?.key;
    return {
      failed: async () => undefined,
      succeeded: async () => {
        await mine().execute();
        if (userKey) await this.db.deleteFrom('login_failures').where('counter', '=', userKey).execute();
      },
    };
  }
}
