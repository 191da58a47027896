import { spawn, type ChildProcess } from 'node:child_process';
import { exitOf } from '../common/child-exit.js';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DecryptStream, EncryptStream, type BackupKey } from './encryption.js';
import { HashingStream, STAGE_BYTES } from './hashing.js';
import type { ObjectStore } from './object-store.js';

/** Where one backup object lives, and the key it is (to be) encrypted with. */
export interface BackupObject {
  store: ObjectStore;
  container: string;
  key: string;
  encryption: BackupKey;
}

export interface UploadResult {
  /** Bytes stored (compressed and encrypted). */
  size: number;
  /** SHA-256 of the stored bytes. */
  sha256: string;
}

/**
 * Starts a tool writing into the given stream: the compressor's input pipe, which the tool's
 * process gets as its own standard output.
 */
export type ToolStarter = (stdout: Writable) => void;

/**
 * Compresses (zstd, in a process of its own, on every core), encrypts, hashes and uploads a
 * backup stream: a tool's output, piped into zstd directly, or any readable stream. Nothing
 * is written to local disk on the way. `onStored` hears the bytes stored so far.
 */
export async function uploadBackup(source: Readable | ToolStarter, target: BackupObject, onStored?: (bytes: number) => void): Promise<UploadResult> {
  const zstd = spawn('zstd', ['-1', '-T0', '-q', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const compressed = exitOf(zstd, 'zstd');
  let feeding: Promise<void> = Promise.resolve();
  if (typeof source === 'function') {
    source(zstd.stdin!);
    // The tool has its own copy of the pipe; with ours closed, zstd sees the end when the tool exits.
    zstd.stdin!.destroy();
  } else {
    feeding = pipeline(source, zstd.stdin!);
  }
  const encrypted = zstd.stdout!.pipe(new EncryptStream(target.encryption.key, onStored));
  const uploaded = target.store.putStream(target.container, target.key, encrypted);
  try {
    await Promise.all([feeding, compressed, uploaded]);
  } catch (err) {
    zstd.kill('SIGKILL');
    // The upload's failure is thrown; an object left behind goes with the backup's prefix, which its owner deletes on failure.
    await target.store.delete(target.container, target.key).catch(() => undefined);
    throw err;
  }
  return { size: encrypted.bytes, sha256: encrypted.digest() };
}

/** Reads a stored object back and checks its size and SHA-256 against what the upload saw. */
export async function verifyStored(target: Omit<BackupObject, 'encryption'>, expected: UploadResult): Promise<void> {
  const size = await target.store.size(target.container, target.key);
  if (size !== expected.size) throw new Error(`the stored backup has ${size ?? 'no'} bytes, ${expected.size} were uploaded`);
  const stored = await target.store.readBack(target.container, target.key);
  if (stored.bytes !== expected.size) throw new Error(`the stored backup reads back as ${stored.bytes} bytes, ${expected.size} were uploaded`);
  if (stored.sha256 !== expected.sha256) throw new Error('the stored backup does not have the checksum of what was uploaded');
}

/** Fails the stream at its end when the bytes are not the ones the manifest describes. */
class VerifyingStream extends HashingStream {
  constructor(private readonly expected: UploadResult) {
    super();
  }
  override _flush(done: (err?: Error | null) => void): void {
    if (this.bytes !== this.expected.size) return done(new Error(`the backup object has ${this.bytes} bytes; its manifest says ${this.expected.size}: it is truncated or was replaced`));
    if (this.digest() !== this.expected.sha256) return done(new Error('the backup object does not match the checksum in its manifest: it is corrupt'));
    done();
  }
}

export interface OpenedBackup {
  /** The engine tool's original stream (decrypted, decompressed), read here. */
  readable(): Readable;
  /**
   * Hands the original stream straight to a child process as its standard input (the stream
   * never passes through this process); `spawnWith` spawns it with the given stdio.
   */
  pipeInto(spawnWith: (stdio: [Readable, 'ignore', 'pipe']) => ChildProcess): ChildProcess;
  /** Settles when every stage is done; rejects with the first failure (checksum, key, zstd). */
  done: Promise<void>;
  abort(): void;
}

/**
 * The reverse of uploadBackup: download, verify, decrypt and decompress. A caller must await
 * `done` as well as its own consumer: a corrupt object can fail after the tool saw all of it.
 */
export async function openBackup(source: BackupObject, expected: UploadResult): Promise<OpenedBackup> {
  const stored = await source.store.getStream(source.container, source.key);
  const zstd = spawn('zstd', ['-d', '-q', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const decompressed = exitOf(zstd, 'zstd -d');
  const feeding = pipeline(stored, new VerifyingStream(expected), new DecryptStream(source.encryption.key), zstd.stdin!);
  const done = (async () => {
    try {
      await feeding;
    } catch (err) {
      // A checksum or decryption failure is the reason; zstd's complaint about a cut stream follows from it.
      zstd.kill('SIGKILL');
      await decompressed.catch(() => undefined);
      throw err;
    }
    await decompressed;
  })();
  return {
    // Held in a stream of ours: Node drops a child's unread stdout when the child exits.
    readable: () => zstd.stdout!.pipe(new PassThrough({ highWaterMark: STAGE_BYTES })),
    pipeInto: (spawnWith) => {
      const child = spawnWith([zstd.stdout!, 'ignore', 'pipe']);
      // The child has its own copy of zstd's output; ours must not read (or hold) any of it.
      zstd.stdout!.destroy();
      return child;
    },
    done,
    abort: () => zstd.kill('SIGKILL'),
  };
}
