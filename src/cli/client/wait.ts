import { sleep } from '../../common/time.js';
import { ApiRefusal, ClientError, EXIT } from './errors.js';

export interface WaitOptions {
  /** Seconds before giving up (the operation itself goes on). */
  timeoutSeconds: number;
  /** What is being waited for, as the progress line names it. */
  label: string;
  stream?: NodeJS.WriteStream;
}

/** One look at the resource: its status, anything extra for the progress line, and whether it is over. */
export interface Observation<T> {
  resource: T | undefined;
  status: string;
  detail?: string;
  outcome: 'pending' | 'done' | 'failed';
  reason?: string;
}

const FIRST_POLL_MS = 250;
const LONGEST_POLL_MS = 2000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Polls `observe` until the operation ends, showing progress on stderr (so stdout stays clean for
 * --json): on a terminal one line rewritten in place, elsewhere a line for each change of status.
 */
export async function waitFor<T>(observe: () => Promise<Observation<T>>, options: WaitOptions): Promise<T | undefined> {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const started = Date.now();
  let interval = FIRST_POLL_MS;
  let lastShown = '';
  const show = (seen: Observation<T>, final: boolean) => {
    const text = `${options.label}: ${seen.status}${seen.detail ? `, ${seen.detail}` : ''}`;
    if (tty) stream.write(`\r\x1b[K${text} (${seconds(Date.now() - started)})${final ? '\n' : ''}`);
    else if (text !== lastShown || final) stream.write(`${text} (${seconds(Date.now() - started)})\n`);
    lastShown = text;
  };
  for (;;) {
    const seen = await observe();
    const over = seen.outcome !== 'pending';
    show(seen, over);
    if (seen.outcome === 'done') return seen.resource;
    if (seen.outcome === 'failed') throw new ClientError(`${options.label} ended in ${seen.status}${seen.reason ? `: ${seen.reason}` : ''}`, EXIT.failed);
    if (Date.now() - started > options.timeoutSeconds * 1000) {
      if (tty) stream.write('\n');
      throw new ClientError(`${options.label} is still ${seen.status} after ${options.timeoutSeconds} s; it goes on in the background`, EXIT.timeout);
    }
    await sleep(interval);
    interval = Math.min(LONGEST_POLL_MS, Math.round(interval * 1.5));
  }
}

/** GETs a resource, or undefined once it is gone (404): what waiting for a delete watches. */
export async function getOrGone<T>(fetchIt: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fetchIt();
  } catch (err) {
    if (err instanceof ApiRefusal && err.status === 404) return undefined;
    throw err;
  }
}
