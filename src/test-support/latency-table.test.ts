import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTable, LatencyRecorder, percentile } from './latency-table.js';

describe('latency table', () => {
  it('takes percentiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile(values, 100), 100);
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([1, 2, 3], 0), 1);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('keeps figures per operation and over all of them, with the statuses seen', () => {
    const recorder = new LatencyRecorder();
    for (const ms of [5, 1, 3]) recorder.record('GET a', ms, 200);
    recorder.record('GET a', 9, 503);
    recorder.record('POST b', 2, 0);
    const [a, b, all] = recorder.figures();
    assert.deepEqual([a!.operation, a!.count, a!.p50, a!.p99, a!.max], ['GET a', 4, 3, 9, 9]);
    assert.deepEqual(
      [...a!.statuses.entries()],
      [
        [200, 3],
        [503, 1],
      ],
    );
    assert.deepEqual([b!.operation, b!.count, b!.max], ['POST b', 1, 2]);
    assert.deepEqual([all!.operation, all!.count, all!.p50, all!.max], ['all', 5, 3, 9]);
    assert.equal(
      recorder.count((s) => s >= 500 || s === 0),
      2,
    );
    const table = formatTable(recorder.figures());
    assert.match(table, /^operation\s+count\s+p50 ms\s+p99 ms\s+max ms\s+statuses$/m);
    assert.match(table, /^GET a\s+4\s+3\.0\s+9\.0\s+9\.0\s+200×3 503×1$/m);
    assert.match(table, /^POST b\s+1\s+2\.0\s+2\.0\s+2\.0\s+no answer×1$/m);
  });
});
