import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openBackup, uploadBackup, verifyStored, type BackupObject, type UploadResult } from './backup-pipeline.js';
import { CHUNK_BYTES, keyId } from './encryption.js';
import { LocalFolderStore } from './local-folder-store.js';

/** Reads a whole stream, returning its SHA-256 and length. */
async function digestOf(stream: NodeJS.ReadableStream): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

describe('backup pipeline (zstd, chunked AES-256-GCM, SHA-256, object store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trove-test-pipeline-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LocalFolderStore(join(dir, 'objects'));
  const key = randomBytes(32);
  const target: BackupObject = { store, container: 'backups', key: 'b1/data.zst.enc', encryption: { id: keyId(key), key } };
  // Half random, half repetitive: several encryption chunks after compression.
  const input = join(dir, 'input');
  writeFileSync(input, Buffer.concat([randomBytes(3 * CHUNK_BYTES), Buffer.alloc(6 * CHUNK_BYTES, 'trove ')]));
  const inputDigest = createHash('sha256').update(readFileSync(input)).digest('hex');
  let uploaded: UploadResult;

  it('streams a tool’s output into one encrypted object and reads it back unchanged', async () => {
    // The tool writes straight into zstd's input, as the agent runs engine tools.
    uploaded = await uploadBackup((stdout) => spawn('cat', [input], { stdio: ['ignore', stdout, 'inherit'] }), target);
    assert.equal(uploaded.size, (await store.size('backups', target.key))!);
    assert.ok(uploaded.size < 9 * CHUNK_BYTES, 'compressed');
    await verifyStored(target, uploaded);
    const stored = readFileSync(join(dir, 'objects', 'backups', target.key));
    assert.equal(stored.indexOf(Buffer.from('trove trove')), -1, 'nothing readable is stored');
    const opened = await openBackup(target, uploaded);
    const [read] = await Promise.all([digestOf(opened.readable()), opened.done]);
    assert.equal(read.sha256, inputDigest);
  });

  async function restoreFails(object: BackupObject, expected: UploadResult): Promise<string> {
    try {
      const opened = await openBackup(object, expected);
      await Promise.all([digestOf(opened.readable()), opened.done]);
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  }

  it('refuses a corrupt chunk, a truncated object and the wrong key, saying which', async () => {
    const path = join(dir, 'objects', 'backups', target.key);
    const original = readFileSync(path);
    const corrupt = Buffer.from(original);
    corrupt[Math.floor(corrupt.length / 2)]! ^= 0xff;
    writeFileSync(path, corrupt);
    assert.match(await restoreFails(target, uploaded), /does not match the checksum|fails authentication/);
    // With the checksum of the corrupt object, decryption still catches the change.
    const corruptDigest = createHash('sha256').update(corrupt).digest('hex');
    assert.match(await restoreFails(target, { size: corrupt.length, sha256: corruptDigest }), /chunk \d+ fails authentication/);

    writeFileSync(path, original);
    truncateSync(path, original.length - 1000);
    assert.match(await restoreFails(target, uploaded), /truncated/);
    const cut = readFileSync(path);
    assert.match(await restoreFails(target, { size: cut.length, sha256: createHash('sha256').update(cut).digest('hex') }), /ends early.*truncated/);

    writeFileSync(path, original);
    const otherKey = randomBytes(32);
    assert.match(await restoreFails({ ...target, encryption: { id: keyId(otherKey), key: otherKey } }, uploaded), /encrypted with another key/);
    assert.match(await restoreFails({ ...target, key: 'b1/missing' }, uploaded), /does not exist/);
  });

  it('leaves judging the tool’s exit to its caller, and fails when the store cannot be written', async () => {
    const failing = { ...target, key: 'b2/data.zst.enc' };
    const tool = spawn('sh', ['-c', 'head -c 1000 /dev/urandom; exit 3'], { stdio: ['ignore', 'pipe', 'inherit'] });
    // The pipeline itself succeeds: judging the tool's exit is the caller's job (see the agent).
    const result = await uploadBackup(tool.stdout, failing);
    assert.ok(result.size > 0);
    const broken = spawn('sh', ['-c', 'head -c 100 /dev/urandom'], { stdio: ['ignore', 'pipe', 'inherit'] });
    // A store whose root is a file: nothing can be written under it.
    writeFileSync(join(dir, 'a-file'), '');
    const unwritable = new LocalFolderStore(join(dir, 'a-file'));
    await assert.rejects(uploadBackup(broken.stdout, { ...failing, store: unwritable }), /ENOTDIR|EEXIST/);
  });
});
