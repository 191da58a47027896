import assert from 'node:assert/strict';
import { sleep } from '../common/time.js';

/** Reads until the value is the expected one (or the time is up, then fails showing the last value read). */
export async function eventually(read: () => Promise<unknown>, expected: unknown, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: unknown;
  while (Date.now() < deadline) {
    seen = await read();
    if (seen === expected) return;
    await sleep(200);
  }
  assert.equal(seen, expected);
}
