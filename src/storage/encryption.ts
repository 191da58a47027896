import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { STAGE_BYTES } from './hashing.js';

/**
 * Chunked AES-256-GCM for backup streams. Layout:
 *   header  = MAGIC (8 bytes) ‖ nonce prefix (4 random bytes)
 *   record  = length (4 bytes, big-endian; top bit set on the last record) ‖ ciphertext ‖ tag (16)
 * Each record's nonce is the prefix ‖ its 8-byte index, and its index and last flag are
 * authenticated, so a changed, reordered, dropped or truncated record fails to decrypt.
 */
const MAGIC = Buffer.from('TRVBK001');
const HEADER_BYTES = MAGIC.length + 4;
const TAG_BYTES = 16;
const LAST = 0x8000_0000;
export const CHUNK_BYTES = 4 * 1024 * 1024;

export interface BackupKey {
  id: string;
  key: Buffer;
}

/** A key's id: what manifests record, so that restore finds the key without exposing it. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('trove-backup-key:').update(key).digest('hex').slice(0, 16);
}

export class DecryptionError extends Error {}

function nonce(prefix: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

function aad(index: number, last: boolean): Buffer {
  const a = Buffer.alloc(9);
  a.writeBigUInt64BE(BigInt(index), 0);
  a[8] = last ? 1 : 0;
  return a;
}

export class EncryptStream extends Transform {
  private readonly prefix = randomBytes(4);
  /** The record being filled; encrypted when full (or at the end), then filled again. */
  private readonly record = Buffer.allocUnsafe(CHUNK_BYTES);
  private filled = 0;
  private index = 0;

  constructor(private readonly key: Buffer) {
    super({ writableHighWaterMark: STAGE_BYTES, readableHighWaterMark: CHUNK_BYTES * 2 });
    if (key.length !== 32) throw new Error('a backup key is 32 bytes');
    this.push(Buffer.concat([MAGIC, this.prefix]));
  }

  private seal(last: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce(this.prefix, this.index));
    cipher.setAAD(aad(this.index, last));
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE((this.filled | (last ? LAST : 0)) >>> 0);
    this.push(length);
    this.push(cipher.update(this.record.subarray(0, this.filled)));
    const final = cipher.final();
    if (final.length > 0) this.push(final);
    this.push(cipher.getAuthTag());
    this.filled = 0;
    this.index++;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      const copied = chunk.copy(this.record, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === CHUNK_BYTES) this.seal(false);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.seal(true);
    done();
  }
}

export class DecryptStream extends Transform {
  /** What has arrived and is not decrypted yet, as received (joined only once a record is whole). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private prefix: Buffer | undefined;
  private index = 0;
  private finished = false;

  constructor(private readonly key: Buffer) {
    super({ writableHighWaterMark: STAGE_BYTES, readableHighWaterMark: CHUNK_BYTES * 2 });
  }

  /** The first `bytes` pending bytes as one buffer (joining chunks only when needed). */
  private peek(bytes: number): Buffer {
    if (this.pending[0]!.length < bytes) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0]!.subarray(0, bytes);
  }

  /** Drops the first `bytes` pending bytes. */
  private consume(bytes: number): void {
    this.peek(bytes);
    const rest = this.pending[0]!.subarray(bytes);
    if (rest.length > 0) this.pending[0] = rest;
    else this.pending.shift();
    this.pendingBytes -= bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    try {
      this.drain();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private drain(): void {
    if (!this.prefix) {
      if (this.pendingBytes < HEADER_BYTES) return;
      const header = this.peek(HEADER_BYTES);
      if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new DecryptionError('the backup does not start like an encrypted Trove backup');
      this.prefix = Buffer.from(header.subarray(MAGIC.length, HEADER_BYTES));
      this.consume(HEADER_BYTES);
    }
    while (this.pendingBytes >= 4) {
      if (this.finished) throw new DecryptionError('the backup has data after its last chunk');
      const word = this.peek(4).readUInt32BE(0);
      const last = (word & LAST) !== 0;
      const length = word & ~LAST;
      if (length > CHUNK_BYTES) throw new DecryptionError(`chunk ${this.index} claims ${length} bytes: the backup is corrupt`);
      const total = 4 + length + TAG_BYTES;
      if (this.pendingBytes < total) return;
      const record = this.peek(total);
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce(this.prefix, this.index));
      decipher.setAAD(aad(this.index, last));
      decipher.setAuthTag(record.subarray(4 + length, total));
      let plain: Buffer;
      try {
        plain = decipher.update(record.subarray(4, 4 + length));
        decipher.final();
      } catch {
        throw new DecryptionError(`chunk ${this.index} fails authentication: the backup is corrupt or was encrypted with another key`);
      }
      this.push(plain);
      this.consume(total);
      this.index++;
      if (last) this.finished = true;
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.finished || this.pendingBytes > 0) return done(new DecryptionError(`the backup ends early, after chunk ${this.index}: it is truncated`));
    done();
  }
}
