import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * How much each stage of a backup stream holds before it asks the one before to wait. Node's
 * default (16 KiB) makes every 64 KiB read from a pipe a stop-and-go; this keeps tools busy.
 */
export const STAGE_BYTES = 4 * 1024 * 1024;

/** Passes bytes through unchanged, counting them and computing their SHA-256. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor() {
    super({ highWaterMark: STAGE_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** The hex digest; only once the stream has ended. */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

/** Size and SHA-256 (hex) of everything a stream gives. */
export async function digestOf(source: AsyncIterable<Buffer>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
