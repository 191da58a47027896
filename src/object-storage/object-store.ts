import type { Readable } from 'node:stream';

/** Where published logs and backups go: containers of named objects. */
export interface ObjectStore {
  put(container: string, key: string, data: Buffer): Promise<void>;
  get(container: string, key: string): Promise<Buffer | undefined>;
  /** Writes a stream as one object, visible only once complete; resolves with the bytes written. */
  putStream(container: string, key: string, source: Readable): Promise<number>;
  /** The object's bytes as a stream; fails with ObjectNotFound when there is no such object. */
  getStream(container: string, key: string): Promise<Readable>;
  /** The object's size, or undefined when there is no such object. */
  size(container: string, key: string): Promise<number | undefined>;
  /** Reads the whole object back, as verification must, and gives its size and SHA-256 (hex). */
  readBack(container: string, key: string): Promise<StoredDigest>;
  list(container: string, prefix: string): Promise<string[]>;
  delete(container: string, key: string): Promise<void>;
  /** Removes every object under the prefix, and uploads under it that never finished. */
  deletePrefix(container: string, prefix: string): Promise<void>;
}

export interface StoredDigest {
  bytes: number;
  sha256: string;
}

export class ObjectNotFound extends Error {}
