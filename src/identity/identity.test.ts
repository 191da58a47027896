import assert from 'node:assert/strict';
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadRequest } from '../common/errors.js';
import { Migrator, type Kysely } from 'kysely';
import { migrateToLatest, openStore, type OpenedStore } from '../store/database.js';
import { migrationProvider } from '../store/migrations/index.js';
import { IdentityService } from './identity-service.js';

/** A clock the test moves by hand. */
function testClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

describe('identity on one SQLite file shared by two services', () => {
  let dir: string;
  let first: OpenedStore;
  let second: OpenedStore;
  let clock: ReturnType<typeof testClock>;
  let a: IdentityService;
  let b: IdentityService;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trove-test-identity-'));
    first = openStore('', dir);
    await migrateToLatest(first.db);
    // A second connection to the same file: another process's view of the store.
    second = openStore('', dir);
    clock = testClock();
    a = new IdentityService(first.db, 3600, clock.now);
    b = new IdentityService(second.db, 3600, clock.now);
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

  describe('scopes', () => {
    it('gives an unscoped token when asked, or when the default project grants no role', async () => {
      const unscoped = await a.authenticate({ user: { name: 'erin' }, password: 'erin-password', unscoped: true });
      assert.equal(unscoped.context.project, null);
      assert.deepEqual(unscoped.context.roles, []);
      assert.equal((await b.validate(unscoped.token))?.project, null);
      const defaulted = await a.authenticate({ user: { name: 'erin' }, password: 'erin-password' });
      assert.equal(defaulted.context.project?.name, 'shop');

      const shop = await a.requireProject('shop');
      const erin = await first.db.selectFrom('users').select('id').where('name', '=', 'erin').executeTakeFirstOrThrow();
      await first.db.deleteFrom('role_assignments').where('user_id', '=', erin.id).where('project_id', '=', shop.id).execute();
      const noRole = await a.authenticate({ user: { name: 'erin' }, password: 'erin-password' });
      assert.equal(noRole.context.project, null);
      await assert.rejects(a.authenticate({ user: { name: 'erin' }, password: 'erin-password', project: { name: 'shop' } }), { status: 401 });
      await a.grantRole('erin', 'shop', 'member');
    });

    it('exchanges an unscoped token for a scoped one that expires with it and carries its audit id', async () => {
      const unscoped = await a.authenticate({ user: { name: 'erin' }, password: 'erin-password', unscoped: true });
      clock.advance(30);
      const scoped = await b.authenticateWithToken({ token: unscoped.token, scope: { project: { name: 'shop' } } });
      assert.equal(scoped.context.project?.name, 'shop');
      assert.deepEqual(scoped.context.methods, ['token', 'password']);
      assert.equal(scoped.context.expiresAt.getTime(), unscoped.context.expiresAt.getTime());
      assert.equal(scoped.context.parentAuditId, unscoped.context.auditId);
      await a.createProject('elsewhere');
      await assert.rejects(a.authenticateWithToken({ token: unscoped.token, scope: { project: { name: 'elsewhere' } } }), { status: 401 });
      await a.revoke(unscoped.token);
      await assert.rejects(a.authenticateWithToken({ token: unscoped.token, scope: { project: { name: 'shop' } } }), { status: 401 });
    });
  });
});

describe('upgrading a store with project tokens in it', () => {
  it('keeps the tokens valid across the migration that allows unscoped ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trove-test-identity-upgrade-'));
    const { db } = openStore('', dir);
    try {
      const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
      const { error } = await migrator.migrateTo('0008_access');
      assert.equal(error, undefined);
      const now = new Date().toISOString();
      const later = new Date(Date.now() + 3_600_000).toISOString();
      await db.insertInto('projects').values({ id: 'p1', name: 'old', domain_id: 'default', description: '', enabled: 1, created_at: now }).execute();
      await db.insertInto('users').values({ id: 'u1', name: 'olduser', domain_id: 'default', password_hash: 'x', default_project_id: 'p1', enabled: 1, created_at: now }).execute();
      const member = await db.selectFrom('roles').select('id').where('name', '=', 'member').executeTakeFirstOrThrow();
      await db.insertInto('role_assignments').values({ user_id: 'u1', project_id: 'p1', role_id: member.id }).execute();
      const token = 'trv_kept-across-upgrade';
      // The 0008 layout: no methods, no parent audit id.
      await (db as unknown as Kysely<any>)
        .insertInto('tokens')
        .values({ token_hash: createHash('sha256').update(token).digest('hex'), user_id: 'u1', project_id: 'p1', audit_id: 'audit-1', issued_at: now, expires_at: later, revoked: 0 })
        .execute();
      assert.deepEqual(await migrateToLatest(db), ['0009_unscoped_tokens']);
      const info = await new IdentityService(db, 3600).validate(token);
      assert.equal(info?.project?.name, 'old');
      assert.deepEqual(info?.methods, ['password']);
      assert.equal(info?.parentAuditId, null);
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
