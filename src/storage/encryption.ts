import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

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
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(private readonly key: Buffer) {
    super({ readableHighWaterMark: CHUNK_BYTES * 2 });
    if (key.length !== 32) throw new Error('a backup key is 32 bytes');
    this.push(Buffer.concat([MAGIC, this.prefix]));
  }

  private seal(plain: Buffer, last: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce(this.prefix, this.index));
    cipher.setAAD(aad(this.index, last));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE((plain.length | (last ? LAST : 0)) >>> 0);
    this.push(Buffer.concat([length, body, cipher.getAuthTag()]));
    this.index++;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= CHUNK_BYTES) {
      const all = Buffer.concat(this.pending);
      this.seal(all.subarray(0, CHUNK_BYTES), false);
      const rest = all.subarray(CHUNK_BYTES);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.seal(Buffer.concat(this.pending), true);
    done();
  }
}

export class DecryptStream extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  private prefix: Buffer | undefined;
  private index = 0;
  private finished = false;

  constructor(private readonly key: Buffer) {
    super({ readableHighWaterMark: CHUNK_BYTES * 2 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    try {
      this.drain();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private drain(): void {
    if (!this.prefix) {
      if (this.buffer.length < HEADER_BYTES) return;
      if (!this.buffer.subarray(0, MAGIC.length).equals(MAGIC)) throw new DecryptionError('the backup does not start like an encrypted Trove backup');
      this.prefix = Buffer.from(this.buffer.subarray(MAGIC.length, HEADER_BYTES));
      this.buffer = this.buffer.subarray(HEADER_BYTES);
    }
    while (this.buffer.length >= 4) {
      if (this.finished) throw new DecryptionError('the backup has data after its last chunk');
      const word = this.buffer.readUInt32BE(0);
      const last = (word & LAST) !== 0;
      const length = word & ~LAST;
      if (length > CHUNK_BYTES) throw new DecryptionError(`chunk ${this.index} claims ${length} bytes: the backup is corrupt`);
      const total = 4 + length + TAG_BYTES;
      if (this.buffer.length < total) return;
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce(this.prefix, this.index));
      decipher.setAAD(aad(this.index, last));
      decipher.setAuthTag(this.buffer.subarray(4 + length, total));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(this.buffer.subarray(4, 4 + length)), decipher.final()]);
      } catch {
        throw new DecryptionError(`chunk ${this.index} fails authentication: the backup is corrupt or was encrypted with another key`);
      }
      this.push(plain);
      this.buffer = this.buffer.subarray(total);
      this.index++;
      if (last) this.finished = true;
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.finished || this.buffer.length > 0) return done(new DecryptionError(`the backup ends early, after chunk ${this.index}: it is truncated`));
    done();
  }
}
