import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through unchanged, counting them and computing their SHA-256. */
/**
 * How much each stage of a backup stream holds before it asks the one before to wait. Node's
 * default (16 KiB) makes every 64 KiB read from a pipe a stop-and-go; this keeps tools busy.
 */
export const STAGE_BYTES = 4 * 1024 * 1024;

export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly onBytes?: (bytes: number) => void) {
    super({ highWaterMark: STAGE_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }

  /** The hex digest; only once the stream has ended. */
  digest(): string {
    return this.hash.copy().digest('hex');
  }
}
