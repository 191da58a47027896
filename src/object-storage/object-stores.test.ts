import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startSwiftS3, type S3Server } from '../test-support/swift-s3.js';
import { integrationTests, unitTests } from '../test-support/test-scope.js';
import { openBackup, uploadBackup, verifyStored } from './backup-pipeline.js';
import { keyId } from './encryption.js';
import { LocalFolderStore } from './local-folder-store.js';
import { ObjectNotFound, type ObjectStore } from './object-store.js';
import { S3Store } from './s3-store.js';

async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The same contract for every object store: the folder store, and S3 on a real S3 server (Swift's s3api). */
function describeStore(name: string, open: () => Promise<{ store: ObjectStore; close(): Promise<void> }>) {
  describe(`object store: ${name}`, () => {
    let store: ObjectStore;
    let close: () => Promise<void>;
    before(async () => {
      ({ store, close } = await open());
    });
    after(async () => {
      await close?.();
    });

    it('puts, gets, sizes, lists and deletes objects; a missing one is undefined or ObjectNotFound', async () => {
      await store.put('database_logs', 'i1/general/a.log', Buffer.from('hello'));
      assert.equal((await store.get('database_logs', 'i1/general/a.log'))?.toString(), 'hello');
      assert.equal(await store.size('database_logs', 'i1/general/a.log'), 5);
      assert.equal(await store.get('database_logs', 'nope'), undefined);
      assert.equal(await store.size('database_logs', 'nope'), undefined);
      await assert.rejects(store.getStream('database_logs', 'nope'), ObjectNotFound);
      assert.deepEqual(await store.list('database_logs', 'i1/'), ['i1/general/a.log']);
      assert.deepEqual(await store.list('never_written', ''), []);
      await store.delete('database_logs', 'i1/general/a.log');
      assert.deepEqual(await store.list('database_logs', 'i1/'), []);
    });

    it('streams an object larger than one upload part in and out unchanged', async () => {
      const data = randomBytes(40 * 1024 * 1024);
      const written = await store.putStream('database_backups', 'b1/data', Readable.from([data.subarray(0, 1e6), data.subarray(1e6)]));
      assert.equal(written, data.length);
      assert.equal(await store.size('database_backups', 'b1/data'), data.length);
      const read = await bytesOf(await store.getStream('database_backups', 'b1/data'));
      assert.equal(createHash('sha256').update(read).digest('hex'), createHash('sha256').update(data).digest('hex'));
    });

    it('deletes everything under a prefix, and only that', async () => {
      await store.put('database_backups', 'b2/data', Buffer.from('x'));
      await store.put('database_backups', 'b2/manifest.json', Buffer.from('{}'));
      await store.put('database_backups', 'b20/data', Buffer.from('y'));
      await store.deletePrefix('database_backups', 'b2/');
      assert.deepEqual(await store.list('database_backups', 'b2'), ['b20/data']);
    });

    it('carries the backup pipeline: upload, verify, read back; a replaced object is caught', async () => {
      const key = randomBytes(32);
      const target = { store, container: 'database_backups', key: 'b3/data.full.zst.enc', encryption: { id: keyId(key), key } };
      const input = Buffer.concat([randomBytes(5 * 1024 * 1024), Buffer.alloc(20 * 1024 * 1024, 'trove')]);
      const uploaded = await uploadBackup(Readable.from([input]), target);
      await verifyStored(target, uploaded);
      const opened = await openBackup(target, uploaded);
      const [read] = await Promise.all([bytesOf(opened.readable()), opened.done]);
      assert.ok(read.equals(input));
      await store.put('database_backups', target.key, randomBytes(uploaded.size));
      await assert.rejects(verifyStored(target, uploaded), /checksum/);
    });
  });
}

if (unitTests)
  describeStore('local folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trove-test-objects-'));
    return { store: new LocalFolderStore(dir), close: async () => rmSync(dir, { recursive: true, force: true }) };
  });

if (integrationTests)
  describeStore('S3 (Swift s3api)', async () => {
    const server: S3Server = await startSwiftS3();
    const store = new S3Store({ endpoint: server.endpoint, region: 'us-east-1', access_key: server.accessKey, secret_key: server.secretKey, force_path_style: true, bucket_prefix: 'test-' });
    return { store, close: () => server.stop() };
  });
