import assert from 'node:assert/strict';
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadRequest } from '../common/errors.js';
import { Migrator, type Kysely } from 'kysely';
import { migrateToLatest, openStore, type OpenedStore } from '../state/database.js';
import { migrationProvider } from '../state/migrations/index.js';
import { IdentityService } from './identity-service.js';
import { LoginsLimited } from './login-limits.js';

/** A clock the test moves by hand, so a 15-minute window passes without waiting. */
function testClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

const WINDOW = 900;
const limits = { failuresPerUser: 5, failuresPerSource: 20, windowSeconds: WINDOW };

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
    a = new IdentityService(first.db, 3600, limits, clock.now);
    b = new IdentityService(second.db, 3600, limits, clock.now);
    await a.createProject('shop');
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) await a.createUser(name, 'shop', `${name}-password`, 'member');
  });
  after(async () => {
    await first.db.destroy();
    await second.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = (service: IdentityService, user: string, password: string, source = '192.0.2.1') => service.authenticate({ user: { name: user }, password, project: { name: 'shop' }, source });
  const failureRows = async () => (await first.db.selectFrom('login_failures').select('counter').execute()).length;

  describe('passwords', () => {
    it('refuses a password with a trailing NUL or other control characters, though its prefix is right', async () => {
      assert.equal((await login(a, 'alice', 'alice-password')).context.user.name, 'alice');
      for (const variant of ['alice-password\u0000', 'alice-password\u0000\u0000', 'alice-password\n', 'alice-password\u0000x']) {
        await assert.rejects(login(a, 'alice', variant), { status: 401 }, JSON.stringify(variant));
      }
      await assert.rejects(a.createUser('nul', 'shop', 'nul-password\u0000', 'member'), BadRequest);
      await assert.rejects(a.setPassword('alice', 'tab\tpassword'), BadRequest);
      await login(a, 'alice', 'alice-password'); // forgives the failures above
    });

    it('keeps long passwords whole: neither a prefix nor a longer one logs in', async () => {
      const long = `${'x'.repeat(100)}-long-password`;
      await a.createUser('longpw', 'shop', long, 'member');
      assert.equal((await login(a, 'longpw', long)).context.user.name, 'longpw');
      for (const other of [long.slice(0, 72), long.slice(0, 64), `${long}y`]) await assert.rejects(login(a, 'longpw', other), { status: 401 });
      await login(a, 'longpw', long);
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

  describe('failed logins', () => {
    it('refuses a user after 5 wrong passwords across both services, with Retry-After, even the right password, until the window passes', async () => {
      for (let i = 0; i < 5; i++) await assert.rejects(login(i % 2 ? a : b, 'bob', 'wrong-password', `198.51.100.${i}`), { status: 401 });
      clock.advance(60);
      for (const service of [a, b]) {
        await assert.rejects(login(service, 'bob', 'bob-password', '203.0.113.9'), (err: unknown) => {
          assert.ok(err instanceof LoginsLimited);
          assert.equal(err.status, 429);
          assert.equal(err.headers['Retry-After'], String(WINDOW - 60));
          assert.match(err.message, /this user/);
          return true;
        });
      }
      // Another user is not affected.
      await login(b, 'carol', 'carol-password');
      clock.advance(WINDOW - 60 + 1);
      assert.equal((await login(a, 'bob', 'bob-password')).context.user.name, 'bob');
    });

    it('lets no more than the allowance of racing logins try a password, in all', async () => {
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => login(i % 2 ? a : b, 'dave', 'wrong-password', `198.51.100.${i}`)));
      const statuses = results.map((r) => (r.status === 'rejected' ? (r.reason as { status: number }).status : 201));
      assert.ok(
        statuses.every((s) => s === 401 || s === 429),
        String(statuses),
      );
      let tried = statuses.filter((s) => s === 401).length;
      // Racing logins may all be refused (each counts the others still running); the refused
      // ones leave nothing behind, so the rest of the allowance is still there, and no more.
      for (let i = 0; i < 10; i++) {
        const outcome = await login(a, 'dave', 'wrong-password').then(
          () => 201,
          (err: { status: number }) => err.status,
        );
        if (outcome === 429) break;
        assert.equal(outcome, 401);
        tried++;
      }
      assert.equal(tried, 5, `wrong passwords tried: ${tried}`);
      await assert.rejects(login(b, 'dave', 'dave-password'), { status: 429 });
      clock.advance(WINDOW + 1);
    });

    it('counts an unknown user name as it counts a known one', async () => {
      for (let i = 0; i < 5; i++) await assert.rejects(login(a, 'nobody', 'wrong-password', `198.51.100.${i}`), { status: 401 });
      await assert.rejects(login(b, 'nobody', 'wrong-password'), { status: 429 });
      clock.advance(WINDOW + 1);
    });

    it('refuses a source after 20 failures on any users; a success from it does not reset that count', async () => {
      const source = '192.0.2.50';
      const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'ghost1', 'ghost2', 'ghost3', 'ghost4'];
      for (let i = 0; i < 19; i++) await assert.rejects(login(i % 2 ? a : b, users[i % users.length] ?? 'x', 'wrong-password', source), { status: 401 });
      // The owner of an account logs in from the same address: the address keeps its 19 failures.
      await login(a, 'frank', 'frank-password', source);
      await assert.rejects(login(b, 'ghost5', 'wrong-password', source), { status: 401 });
      await assert.rejects(login(a, 'frank', 'frank-password', source), (err: unknown) => err instanceof LoginsLimited && /this address/.test(err.message));
      // The same users from elsewhere are fine: none of them reached 5 failures.
      assert.equal((await login(b, 'frank', 'frank-password', '192.0.2.51')).context.user.name, 'frank');
      clock.advance(WINDOW + 1);
      await login(a, 'frank', 'frank-password', source);
    });

    it('prunes failures older than the window', async () => {
      for (let i = 0; i < 3; i++) await assert.rejects(login(a, `ghost${i}`, 'wrong-password', `198.51.100.${i}`), { status: 401 });
      assert.ok((await failureRows()) >= 6);
      clock.advance(WINDOW + 1);
      await assert.rejects(login(b, 'ghost9', 'wrong-password'), { status: 401 });
      assert.equal(await failureRows(), 2, 'only the newest failure, counted for its user and its source');
    });

    it('takes the same path for an unknown user and a wrong password (both verify a hash)', async () => {
      const open = new IdentityService(first.db, 3600, { failuresPerUser: 0, failuresPerSource: 0, windowSeconds: 1 }, clock.now);
      const time = async (user: string) => {
        const started = process.hrtime.bigint();
        await assert.rejects(login(open, user, 'wrong-password'), { status: 401 });
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await time('erin'));
        unknown.push(await time(`nosuchuser${i}`));
      }
      const ratio = median(unknown) / median(known);
      // A skipped hash would make the unknown user ~50 times faster; a shared machine adds noise.
      assert.ok(ratio > 0.4 && ratio < 2.5, `unknown/known time ratio ${ratio.toFixed(2)}`);
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
      assert.deepEqual(await migrateToLatest(db), ['0009_unscoped_tokens', '0010_login_failures', '0011_clusters']);
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
