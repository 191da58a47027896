import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadRequest } from '../common/errors.js';
import { migrateToLatest, openStore, type OpenedStore } from '../store/database.js';
import { IdentityService } from './identity-service.js';

describe('identity on one SQLite file shared by two services', () => {
  let dir: string;
  let first: OpenedStore;
  let second: OpenedStore;
  let a: IdentityService;
  let b: IdentityService;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trove-test-identity-'));
    first = openStore('', dir);
    await migrateToLatest(first.db);
    // A second connection to the same file: another process's view of the store.
    second = openStore('', dir);
    a = new IdentityService(first.db, 3600);
    b = new IdentityService(second.db, 3600);
    await a.createProject('shop');
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) await a.createUser(name, 'shop', `${name}-password`, 'member');
  });
  after(async () => {
    await first.db.destroy();
    await second.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = (service: IdentityService, user: string, password: string) => service.authenticate({ user: { name: user }, password, project: { name: 'shop' } });

  describe('passwords', () => {
    it('refuses a password with a trailing NUL or other control characters, though its prefix is right', async () => {
      assert.equal((await login(a, 'alice', 'alice-password')).context.user.name, 'alice');
      for (const variant of ['alice-password\u0000', 'alice-password\u0000\u0000', 'alice-password\n', 'alice-password\u0000x']) {
        await assert.rejects(login(a, 'alice', variant), { status: 401 }, JSON.stringify(variant));
      }
      await assert.rejects(a.createUser('nul', 'shop', 'nul-password\u0000', 'member'), BadRequest);
      await assert.rejects(a.setPassword('alice', 'tab\tpassword'), BadRequest);
    });

    it('keeps long passwords whole: neither a prefix nor a longer one logs in', async () => {
      const long = `${'x'.repeat(100)}-long-password`;
      await a.createUser('longpw', 'shop', long, 'member');
      assert.equal((await login(a, 'longpw', long)).context.user.name, 'longpw');
      for (const other of [long.slice(0, 72), long.slice(0, 64), `${long}y`]) await assert.rejects(login(a, 'longpw', other), { status: 401 });
    });

    it('verifies a hash of the old scheme, refuses its NUL collision, and replaces it at login', async () => {
      const salt = randomBytes(16);
      const key = scryptSync('legacy-password', salt, 32, { N: 16384, r: 8, p: 1 });
      await a.createUser('legacy', 'shop', 'temporary-password', 'member');
      const legacyHash = ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
      await first.db.updateTable('users').set({ password_hash: legacyHash }).where('name', '=', 'legacy').execute();
      await assert.rejects(login(a, 'legacy', 'legacy-password\u0000'), { status: 401 });
      assert.equal((await login(a, 'legacy', 'legacy-password')).context.user.name, 'legacy');
      const row = await first.db.selectFrom('users').select('password_hash').where('name', '=', 'legacy').executeTakeFirstOrThrow();
      assert.match(row.password_hash, /^scrypt-sha256\$/);
      assert.equal((await login(b, 'legacy', 'legacy-password')).context.user.name, 'legacy');
    });
  });

});
