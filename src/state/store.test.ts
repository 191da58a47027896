import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Conflict, NotFound, OverLimit, BadRequest } from '../common/errors.js';
import { FlavorService } from '../flavor/flavor-service.js';
import { IdentityService } from '../identity/identity-service.js';
import { QuotaService } from '../quota/quota-service.js';
import { startPostgres, type TestPostgres } from '../test-support/postgres.js';
import { integrationTests, unitTests } from '../test-support/test-scope.js';
import { migrateToLatest, openStore, type OpenedStore } from './database.js';

const QUOTA_DEFAULTS = { instances: 2, ram: -1, volumes: 10, backups: 5 };

/** The same contract, run against each state store the product supports. */
function storeContract(kind: string, open: () => Promise<{ store: OpenedStore; another: () => OpenedStore; cleanup: () => Promise<void> }>) {
  describe(`state store on ${kind}`, () => {
    let store: OpenedStore;
    let cleanup: () => Promise<void>;
    let another: () => OpenedStore;
    let identity: IdentityService;
    let flavors: FlavorService;
    let quotas: QuotaService;

    before(async () => {
      ({ store, another, cleanup } = await open());
      const applied = await migrateToLatest(store.db);
      assert.deepEqual(applied, ['0001_foundation', '0002_instances', '0003_root_history', '0004_backups', '0005_configurations', '0006_replication', '0007_backup_parts', '0008_access', '0009_unscoped_tokens', '0010_login_failures', '0011_clusters']);
      identity = new IdentityService(store.db, 3600);
      flavors = new FlavorService(store.db);
      quotas = new QuotaService(store.db, QUOTA_DEFAULTS);
    });
    after(async () => {
      await store.db.destroy();
      await cleanup();
    });

    it('applies migrations once: a second run has nothing to do', async () => {
      assert.deepEqual(await migrateToLatest(store.db), []);
      assert.equal(store.kind, kind);
    });

    it('starts with the default flavors and roles', async () => {
      const list = await flavors.list();
      assert.deepEqual(
        list.map((f) => f.id),
        ['1', '2', '3', '4', '5'],
      );
      assert.equal(list[0]?.ram, 512);
    });

    it('bootstraps an admin idempotently and authenticates it with admin rights', async () => {
      const first = await identity.bootstrap('first-password');
      const second = await identity.bootstrap('second-password');
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(first.project.id, second.project.id);
      await assert.rejects(identity.authenticate({ user: { name: 'admin' }, password: 'first-password', project: { name: 'admin' } }), { status: 401 });
      const issued = await identity.authenticate({ user: { name: 'admin' }, password: 'second-password', project: { name: 'admin' } });
      assert.equal(issued.context.isAdmin, true);
      assert.deepEqual(
        issued.context.roles.map((r) => r.name),
        ['admin'],
      );
    });

    it('issues tokens that validate until they expire or are revoked, and stores only their hash', async () => {
      await identity.createProject('tenant-a');
      await identity.createUser('alice', 'tenant-a', 'alice-password', 'member');
      const issued = await identity.authenticate({ user: { name: 'alice', domain: { id: 'default' } }, password: 'alice-password', project: { name: 'tenant-a', domain: { name: 'Default' } } });
      const context = await identity.validate(issued.token);
      assert.equal(context?.user.name, 'alice');
      assert.equal(context?.project?.name, 'tenant-a');
      assert.equal(context?.isAdmin, false);
      const stored = await store.db.selectFrom('tokens').select('token_hash').execute();
      assert.ok(stored.every((row) => row.token_hash !== issued.token && row.token_hash.length === 64));
      const afterExpiry = new Date(issued.context.expiresAt.getTime() + 1000);
      assert.equal(await identity.validate(issued.token, afterExpiry), undefined);
      assert.equal(await identity.revoke(issued.token), true);
      assert.equal(await identity.validate(issued.token), undefined);
    });

    it('refuses wrong passwords, unknown users, other domains and projects without a role', async () => {
      await identity.createProject('tenant-b');
      const cases = [
        { user: { name: 'alice' }, password: 'nope', project: { name: 'tenant-a' } },
        { user: { name: 'nobody' }, password: 'alice-password', project: { name: 'tenant-a' } },
        { user: { name: 'alice', domain: { name: 'Other' } }, password: 'alice-password', project: { name: 'tenant-a' } },
        { user: { name: 'alice' }, password: 'alice-password', project: { name: 'tenant-b' } },
      ];
      for (const request of cases) await assert.rejects(identity.authenticate(request), { status: 401 }, JSON.stringify(request));
    });

    it('counts failed logins across processes sharing the store, and forgets them after the window', async () => {
      await identity.createUser('mallory', 'tenant-a', 'mallory-password', 'member');
      const second = another();
      // Starts at the real time: the other tests' failures are older and age out with the window.
      let now = Date.now();
      const clock = () => new Date(now);
      const limits = { failuresPerUser: 5, failuresPerSource: 20, windowSeconds: 600 };
      const services = [new IdentityService(store.db, 3600, limits, clock), new IdentityService(second.db, 3600, limits, clock)];
      const login = (i: number, password: string) => services[i % 2]!.authenticate({ user: { name: 'mallory' }, password, project: { name: 'tenant-a' }, source: `192.0.2.${i}` });
      try {
        // Racing wrong passwords through both connections: no more than 5 are tried in all.
        const raced = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => login(i, 'wrong-password')));
        let tried = raced.filter((r) => r.status === 'rejected' && (r.reason as { status: number }).status === 401).length;
        assert.ok(raced.every((r) => r.status === 'rejected' && [401, 429].includes((r.reason as { status: number }).status)));
        for (let i = 0; i < 10 && tried < 6; i++) {
          const status = await login(i, 'wrong-password').then(
            () => 201,
            (err: { status: number }) => err.status,
          );
          if (status === 429) break;
          tried++;
        }
        assert.equal(tried, 5);
        for (const i of [0, 1]) await assert.rejects(login(i, 'mallory-password'), { status: 429 });
        now += 601_000;
        assert.equal((await login(1, 'mallory-password')).context.user.name, 'mallory');
        const rows = await store.db.selectFrom('login_failures').select('counter').execute();
        assert.equal(rows.length, 0, 'old failures are pruned and the success forgave the user');
      } finally {
        await second.db.destroy();
      }
    });

    it('keeps passwords as scrypt hashes', async () => {
      const row = await store.db.selectFrom('users').select('password_hash').where('name', '=', 'alice').executeTakeFirstOrThrow();
      assert.match(row.password_hash, /^scrypt-sha256\$16384\$8\$1\$/);
      assert.ok(!row.password_hash.includes('alice-password'));
    });

    it('refuses a duplicate project and writes no user for an unknown project', async () => {
      await assert.rejects(identity.createProject('tenant-a'), Conflict);
      const before = await store.db.selectFrom('users').select('id').execute();
      await assert.rejects(identity.createUser('bob', 'no-such-project', 'bob-password', 'member'), NotFound);
      await assert.rejects(identity.createUser('alice', 'tenant-a', 'alice-password', 'member'), Conflict);
      const afterwards = await store.db.selectFrom('users').select('id').execute();
      assert.equal(afterwards.length, before.length);
    });

    it('manages flavors with validation', async () => {
      const created = await flavors.create({ name: 'db.custom', ram: 3072, vcpus: 3 });
      assert.equal(created.id, '6');
      await assert.rejects(flavors.create({ name: 'db.custom', ram: 1024, vcpus: 1 }), Conflict);
      await assert.rejects(flavors.create({ name: 'bad flavor', ram: 10, vcpus: 0 }), (err: Error) => err instanceof BadRequest && /ram/.test(err.message) && /vcpus/.test(err.message));
      await flavors.delete('6');
      await assert.rejects(flavors.get('6'), NotFound);
    });

    it('updates quotas all or nothing', async () => {
      const project = await identity.requireProject('tenant-a');
      assert.deepEqual(await quotas.update(project.id, { instances: 4 }), { instances: 4 });
      await assert.rejects(quotas.update(project.id, { instances: 6, backups: null }), /from -1 \(unlimited\) to 2147483647, not null/);
      await assert.rejects(quotas.update(project.id, { instances: 9, volumes: -5 }), BadRequest);
      await assert.rejects(quotas.update(project.id, { ram: 100, unicorns: 1 }), /unknown/);
      const limits = await quotas.limits(project.id);
      assert.deepEqual(limits, { instances: 4, ram: -1, volumes: 10, backups: 5 });
    });

    it('keeps configuration groups (a column named values) and their instances', async () => {
      const now = new Date().toISOString();
      await store.db
        .insertInto('configurations')
        .values({ id: 'c1', project_id: 'p', name: 'g', description: null, datastore: 'mysql', datastore_version: '10.11', values: '{"max_connections":200}', deleted: 0, deleted_at: null, created_at: now, updated_at: now })
        .execute();
      const row = await store.db.selectFrom('configurations').selectAll().where('id', '=', 'c1').executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(row.values), { max_connections: 200 });
      await store.db.updateTable('configurations').set({ values: '{}' }).where('id', '=', 'c1').execute();
      assert.equal((await store.db.selectFrom('configurations').select('values').where('id', '=', 'c1').executeTakeFirstOrThrow()).values, '{}');
    });

    it('keeps backups with large sizes, and one backup strategy per project and instance', async () => {
      const now = new Date().toISOString();
      const row = {
        id: '00000000-0000-4000-8000-000000000001',
        project_id: 'p',
        name: 'b',
        description: null,
        instance_id: 'i',
        datastore: 'mysql',
        datastore_version: '10.11',
        parent_id: null,
        kind: 'full',
        status: 'COMPLETED',
        container: 'database_backups',
        object_key: 'k',
        location: 'file:///k',
        size_bytes: 5 * 1024 ** 4,
        progress_bytes: null,
        sha256: 'a'.repeat(64),
        tool: 'mariabackup',
        positions: '{"to_lsn":"42"}',
        volume_used_bytes: 3 * 1024 ** 3,
        parts: '[]',
        archive_floor: null,
        key_id: '0123456789abcdef',
        fail_reason: null,
        deleted: 0,
        deleted_at: null,
        created_at: now,
        updated_at: now,
      };
      await store.db.insertInto('backups').values(row).execute();
      assert.deepEqual(await store.db.selectFrom('backups').selectAll().where('id', '=', row.id).executeTakeFirst(), row);
      const strategy = { project_id: 'p', instance_id: '', backend: 'swift', container: 'box', created_at: now };
      await store.db.insertInto('backup_strategies').values(strategy).execute();
      await assert.rejects(store.db.insertInto('backup_strategies').values(strategy).execute());
      await store.db
        .insertInto('backup_strategies')
        .values({ ...strategy, instance_id: 'i' })
        .execute();
    });

    it('charges usage inside a transaction and refuses past the limit without writing', async () => {
      const project = await identity.requireProject('tenant-b');
      await store.db.transaction().execute((trx) => quotas.charge(trx, project.id, { instances: 2, volumes: 4 }));
      await assert.rejects(
        store.db.transaction().execute((trx) => quotas.charge(trx, project.id, { volumes: 1, instances: 1 })),
        (err: Error) => err instanceof OverLimit && /instances/.test(err.message),
      );
      const usage = await quotas.usage(project.id);
      assert.deepEqual(
        usage.filter((u) => u.in_use > 0).map((u) => [u.resource, u.in_use]),
        [
          ['instances', 2],
          ['volumes', 4],
        ],
      );
    });
  });
}

if (unitTests)
  storeContract('sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trove-test-sqlite-'));
    return { store: openStore('', dir), another: () => openStore('', dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });

if (integrationTests)
  storeContract('postgresql', async () => {
    const server: TestPostgres = await startPostgres();
    return { store: openStore(server.url, '/nonexistent'), another: () => openStore(server.url, '/nonexistent'), cleanup: () => server.stop() };
  });
