import type { RateLimitSettings } from '../settings/schema.js';

export interface RateLimitState {
  verb: string;
  value: number;
  remaining: number;
  /** When the current window ends and the full allowance returns. */
  resetAt: Date;
}

interface Window {
  startedAt: number;
  count: number;
}

const WINDOW_MS = 60_000;
type Verb = keyof RateLimitSettings;

/**
 * Requests per minute per user and verb, counted in fixed one-minute windows in this process
 * (each `serve` process counts its own).
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limits: RateLimitSettings) {}

  private window(userId: string, verb: Verb, now: number): Window {
    const key = `${userId} ${verb}`;
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  /** Counts one request; returns seconds to wait when the allowance is spent. */
  take(userId: string, method: string, now = Date.now()): number | undefined {
    const verb = method.toUpperCase() as Verb;
    const value = this.limits[verb];
    if (!value) return undefined;
    const window = this.window(userId, verb, now);
    if (window.count >= value) return Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - now) / 1000));
    window.count += 1;
    return undefined;
  }

  state(userId: string, now = Date.now()): RateLimitState[] {
    return (Object.keys(this.limits) as Verb[])
      .filter((verb) => this.limits[verb] > 0)
      .map((verb) => {
        const window = this.window(userId, verb, now);
        return { verb, value: this.limits[verb], remaining: this.limits[verb] - window.count, resetAt: new Date(window.startedAt + WINDOW_MS) };
      });
  }
}
