import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { BatchedFileWriter } from './batched-file-writer.js';

describe('batched file writer', () => {
  const folder = mkdtempSync(join(tmpdir(), 'trove-test-writer-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('writes every byte in order across batches, with the mode asked for', async () => {
    // Pieces of odd sizes, as a pipe delivers them, adding up to a little over two batches.
    const pieces = Array.from({ length: 150 }, (_v, i) => randomBytes(60_000 + i * 7));
    const path = join(folder, 'object');
    const writer = new BatchedFileWriter(path, 0o600);
    await pipeline(Readable.from(pieces), writer);
    const expected = Buffer.concat(pieces);
    assert.ok(expected.length > 8 * 1024 * 1024);
    assert.equal(writer.bytesWritten, expected.length);
    assert.ok(readFileSync(path).equals(expected));
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('writes an empty stream as an empty file', async () => {
    const path = join(folder, 'empty');
    const writer = new BatchedFileWriter(path, 0o600);
    await pipeline(Readable.from([]), writer);
    assert.equal(writer.bytesWritten, 0);
    assert.equal(statSync(path).size, 0);
  });

  it('fails the pipeline when the file cannot be opened', async () => {
    await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), new BatchedFileWriter(join(folder, 'no', 'such', 'folder'), 0o600)), /ENOENT/);
  });
});
