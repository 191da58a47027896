import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BatchedFileWriter } from './batched-file-writer.js';
import { ObjectNotFound, type ObjectStore, type StoredDigest } from './object-store.js';

/** Read-back buffers: two, reused (fresh large buffers cost more here than hashing them). */
const READ_BACK_BYTES = 1024 * 1024;

/** The default object store: a folder per container under one root, objects as files. */
export class LocalFolderStore implements ObjectStore {
  constructor(private readonly root: string) {}

  /** Keys are paths inside the container; one that would leave it is refused. */
  private path(container: string, key: string): string {
    const base = resolve(this.root, container);
    const full = resolve(base, key);
    if (!full.startsWith(`${base}${sep}`) || !/^[A-Za-z0-9_.-]+$/.test(container)) throw new Error(`invalid object name ${container}/${key}`);
    return full;
  }

  async put(container: string, key: string, data: Buffer): Promise<void> {
    const path = this.path(container, key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const partial = `${path}.partial`;
    await writeFile(partial, data, { mode: 0o600 });
    await rename(partial, path);
  }

  async get(container: string, key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(container, key));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async putStream(container: string, key: string, source: Readable): Promise<number> {
    const path = this.path(container, key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const partial = `${path}.partial`;
    const out = new BatchedFileWriter(partial, 0o600);
    try {
      await pipeline(source, out);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    await rename(partial, path);
    return out.bytesWritten;
  }

  async getStream(container: string, key: string): Promise<Readable> {
    const path = this.path(container, key);
    if ((await this.size(container, key)) === undefined) throw new ObjectNotFound(`object ${container}/${key} does not exist`);
    return createReadStream(path, { highWaterMark: 1024 * 1024 });
  }

  async readBack(container: string, key: string): Promise<StoredDigest> {
    let file;
    try {
      file = await open(this.path(container, key), 'r');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') throw new ObjectNotFound(`object ${container}/${key} does not exist`);
      throw err;
    }
    try {
      const hash = createHash('sha256');
      const buffers = [Buffer.allocUnsafe(READ_BACK_BYTES), Buffer.allocUnsafe(READ_BACK_BYTES)] as const;
      let current = 0;
      let bytes = 0;
      // The next piece is read (in the thread pool) while this one is hashed: a third less time.
      let reading = file.read(buffers[0], 0, READ_BACK_BYTES, null);
      for (;;) {
        const { bytesRead } = await reading;
        if (bytesRead === 0) break;
        const piece = buffers[current]!;
        current ^= 1;
        reading = file.read(buffers[current]!, 0, READ_BACK_BYTES, null);
        hash.update(piece.subarray(0, bytesRead));
        bytes += bytesRead;
      }
      return { bytes, sha256: hash.digest('hex') };
    } finally {
      await file.close();
    }
  }

  async size(container: string, key: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(container, key))).size;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(container: string, prefix: string): Promise<string[]> {
    return (await this.walk(container, prefix)).filter((key) => !key.endsWith('.partial'));
  }

  /** Every file under the prefix, unfinished uploads (.partial) included. */
  private async walk(container: string, prefix: string): Promise<string[]> {
    const base = resolve(this.root, container);
    const walk = async (dir: string): Promise<string[]> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return [];
      }
      const found: string[] = [];
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) found.push(...(await walk(full)));
        else found.push(relative(base, full).split(sep).join('/'));
      }
      return found;
    };
    return (await walk(base)).filter((key) => key.startsWith(prefix)).sort();
  }

  async delete(container: string, key: string): Promise<void> {
    await rm(this.path(container, key), { force: true });
  }

  async deletePrefix(container: string, prefix: string): Promise<void> {
    for (const key of await this.walk(container, prefix)) await rm(this.path(container, key), { force: true });
    // The prefix's own folder, when the prefix names one (e.g. "<backup id>/").
    if (prefix.endsWith('/')) await rm(this.path(container, prefix), { recursive: true, force: true });
  }
}
