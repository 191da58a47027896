import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { CHUNK_BYTES, DecryptStream, EncryptStream } from './encryption.js';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Cuts a buffer into pieces of awkward sizes, as a pipe hands them over. */
function* pieces(data: Buffer): Generator<Buffer> {
  const sizes = [1, 65_536, 7, 1_000_003, 65_535];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

describe('chunked AES-256-GCM', () => {
  const key = randomBytes(32);

  for (const size of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 2 * CHUNK_BYTES, 2 * CHUNK_BYTES + 12_345]) {
    it(`round-trips ${size} bytes and hashes exactly what it emits`, async () => {
      const plain = randomBytes(size);
      const encrypt = new EncryptStream(key);
      const sealed = await collect(Readable.from(pieces(plain)).pipe(encrypt));
      assert.equal(encrypt.bytes, sealed.length);
      assert.equal(encrypt.digest(), createHash('sha256').update(sealed).digest('hex'));
      const opened = await collect(Readable.from(pieces(sealed)).pipe(new DecryptStream(key)));
      assert.ok(opened.equals(plain));
    });
  }

  it('refuses a stream cut at a record boundary: the last record says it is the last', async () => {
    const sealed = await collect(Readable.from([randomBytes(2 * CHUNK_BYTES)]).pipe(new EncryptStream(key)));
    // Header, then one whole record: length, ciphertext, tag.
    const cut = sealed.subarray(0, 12 + 4 + CHUNK_BYTES + 16);
    await assert.rejects(
      pipeline(Readable.from([cut]), new DecryptStream(key), async (source: AsyncIterable<Buffer>) => {
        for await (const _ of source);
      }),
      /truncated/,
    );
  });
});
