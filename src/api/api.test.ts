import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../test-support/api.js';

describe('Trove v1.0 edge and identity', () => {
  let api: TestApi;
  const get = (url: string, token?: string) => api.app.inject({ method: 'GET', url, headers: token ? { 'x-auth-token': token } : {} });

  before(async () => {
    api = await startTestApi({ catalog: { disabled: [], versions: [{ datastore: 'mysql', version: '8.0', active: false, image: '' }] } });
  });
  after(() => api.close());

  describe('discovery', () => {
    it('lists the API versions with absolute links', async () => {
      const response = await get('/');
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), {
        versions: [{ id: 'v1.0', status: 'CURRENT', updated: '2012-08-01T00:00:00Z', links: [{ rel: 'self', href: 'http://localhost:80/v1.0/' }] }],
      });
      assert.equal((await get('/v1.0/')).json().version.id, 'v1.0');
      assert.equal((await get('/v3')).json().version.id, 'v3.14');
    });

    it('serves an OpenAPI document generated from the route schemas', async () => {
      const doc = (await get('/openapi.json')).json();
      assert.equal(doc.openapi, '3.0.3');
      for (const path of ['/v3/auth/tokens', '/v1.0/{tenant_id}/flavors', '/v1.0/{tenant_id}/flavors/{id}', '/v1.0/{tenant_id}/datastores/{datastore}/versions/{version}', '/v1.0/{tenant_id}/limits', '/v1.0/{tenant_id}/mgmt/quotas/{project_id}']) {
        assert.ok(doc.paths[path], `OpenAPI lacks ${path}`);
      }
      assert.ok(doc.paths['/v1.0/{tenant_id}/mgmt/quotas/{project_id}'].put.requestBody, 'request bodies are documented');
    });
  });

  describe('identity', () => {
    it('issues a Keystone token with a catalog pointing at this server', async () => {
      const response = await api.app.inject({
        method: 'POST',
        url: '/v3/auth/tokens',
        headers: { host: 'trove.example:8779' },
        payload: { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'demo-password' } } }, scope: { project: { id: api.demo.projectId } } } },
      });
      assert.equal(response.statusCode, 201);
      assert.match(String(response.headers['x-subject-token']), /^trv_/);
      const { token } = response.json();
      assert.match(token.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.deepEqual(token.project, { id: api.demo.projectId, name: 'demo', domain: { id: 'default', name: 'Default' } });
      assert.deepEqual(token.user.domain, { id: 'default', name: 'Default' });
      assert.deepEqual(
        token.roles.map((r: { name: string }) => r.name),
        ['member'],
      );
      const database = token.catalog.find((s: { type: string }) => s.type === 'database');
      const publicEndpoint = database.endpoints.find((e: { interface: string }) => e.interface === 'public');
      assert.deepEqual(publicEndpoint, {
        id: 'database-public',
        interface: 'public',
        region: 'RegionOne',
        region_id: 'RegionOne',
        url: `http://trove.example:8779/v1.0/${api.demo.projectId}`,
      });
    });

    it('answers bad credentials with 401 in Keystone shape', async () => {
      const response = await api.app.inject({
        method: 'POST',
        url: '/v3/auth/tokens',
        payload: { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'wrong' } } }, scope: { project: { name: 'demo' } } } },
      });
      assert.equal(response.statusCode, 401);
      assert.equal(response.json().error.code, 401);
      assert.equal(response.headers['x-subject-token'], undefined);
    });

    it('validates and revokes tokens', async () => {
      const issued = await api.services.identity.authenticate({ user: { name: 'demo' }, password: 'demo-password', project: { name: 'demo' } });
      const check = await api.app.inject({ method: 'GET', url: '/v3/auth/tokens', headers: { 'x-auth-token': api.demo.token, 'x-subject-token': issued.token } });
      assert.equal(check.statusCode, 200);
      assert.equal(check.json().token.user.name, 'demo');
      const revoke = await api.app.inject({ method: 'DELETE', url: '/v3/auth/tokens', headers: { 'x-auth-token': api.demo.token, 'x-subject-token': issued.token } });
      assert.equal(revoke.statusCode, 204);
      assert.equal((await get(`/v1.0/${api.demo.projectId}/flavors`, issued.token)).statusCode, 401);
    });

    it('rejects an expired token with 401', async () => {
      const issued = await api.services.identity.authenticate({ user: { name: 'demo' }, password: 'demo-password', project: { name: 'demo' } });
      assert.equal((await get(`/v1.0/${api.demo.projectId}/flavors`, issued.token)).statusCode, 200);
      await api.services.store.db
        .updateTable('tokens')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('audit_id', '=', issued.context.auditId)
        .execute();
      const response = await get(`/v1.0/${api.demo.projectId}/flavors`, issued.token);
      assert.equal(response.statusCode, 401);
      assert.match(response.json().unauthorized.message, /expired/);
    });
  });

  describe('authorization', () => {
    it('requires a token on every /v1.0 route', async () => {
      for (const path of ['flavors', 'flavors/1', 'datastores', 'limits', `mgmt/quotas/${api.demo.projectId}`]) {
        const response = await get(`/v1.0/${api.demo.projectId}/${path}`);
        assert.equal(response.statusCode, 401, path);
        assert.equal(response.json().unauthorized.code, 401);
      }
    });

    it("forbids another project's path to members and admins alike, as Trove does", async () => {
      const denied = await get(`/v1.0/${api.admin.projectId}/flavors`, api.demo.token);
      assert.equal(denied.statusCode, 403);
      assert.match(denied.json().forbidden.message, /cannot access project/);
      assert.equal((await get(`/v1.0/${api.demo.projectId}/flavors`, api.admin.token)).statusCode, 403);
      assert.equal((await get('/v1.0/null/instances', api.admin.token)).statusCode, 403, 'no empty list for a project that does not exist');
      assert.equal((await get(`/v1.0/${api.admin.projectId}/flavors`, api.admin.token)).statusCode, 200);
    });
  });

  describe('flavors', () => {
    it('lists flavors with Trove fields and paginates with limit and marker', async () => {
      const first = await get(`/v1.0/${api.demo.projectId}/flavors?limit=2`, api.demo.token);
      assert.equal(first.statusCode, 200);
      const body = first.json();
      assert.deepEqual(
        body.flavors.map((f: { id: number }) => f.id),
        [1, 2],
      );
      assert.deepEqual(Object.keys(body.flavors[0]).sort(), ['disk', 'ephemeral', 'id', 'links', 'name', 'ram', 'str_id', 'vcpus']);
      const next = new URL(body.links[0].href);
      assert.equal(body.links[0].rel, 'next');
      assert.equal(next.searchParams.get('marker'), '2');
      const second = (await get(`${next.pathname}${next.search}`, api.demo.token)).json();
      assert.deepEqual(
        second.flavors.map((f: { id: number }) => f.id),
        [3, 4],
      );
      const last = (await get(`/v1.0/${api.demo.projectId}/flavors?limit=2&marker=4`, api.demo.token)).json();
      assert.deepEqual(
        last.flavors.map((f: { id: number }) => f.id),
        [5],
      );
      assert.equal(last.links, undefined);
      const all = (await get(`/v1.0/${api.demo.projectId}/flavors`, api.demo.token)).json();
      assert.equal(all.flavors.length, 5);
    });

    it('refuses a marker that is not in the list and a limit that is not a number', async () => {
      const marker = await get(`/v1.0/${api.demo.projectId}/flavors?marker=nope`, api.demo.token);
      assert.equal(marker.statusCode, 400);
      assert.match(marker.json().badRequest.message, /Marker 'nope'/);
      const limit = await get(`/v1.0/${api.demo.projectId}/flavors?limit=ten`, api.demo.token);
      assert.equal(limit.statusCode, 400);
      assert.match(limit.json().badRequest.message, /'limit' must be a whole number/);
    });

    it('shows one flavor and answers 404 for an unknown one', async () => {
      const flavor = (await get(`/v1.0/${api.demo.projectId}/flavors/3`, api.demo.token)).json().flavor;
      assert.equal(flavor.name, 'db.medium');
      assert.equal(flavor.ram, 2048);
      assert.deepEqual(flavor.links[0], { rel: 'self', href: `http://localhost:80/v1.0/${api.demo.projectId}/flavors/3` });
      const missing = await get(`/v1.0/${api.demo.projectId}/flavors/9999`, api.demo.token);
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), { itemNotFound: { code: 404, message: "Flavor '9999' cannot be found." } });
    });
  });

  describe('datastores', () => {
    it('lists the installed engines with their versions and capabilities', async () => {
      const { datastores } = (await get(`/v1.0/${api.demo.projectId}/datastores`, api.demo.token)).json();
      assert.deepEqual(
        datastores.map((d: { name: string }) => d.name),
        ['mysql', 'mariadb', 'postgresql'],
      );
      const mysql = datastores[0];
      assert.deepEqual(
        mysql.versions.map((v: { name: string }) => v.name),
        ['10.11'],
        'inactive versions are hidden from members',
      );
      assert.equal(mysql.default_version, mysql.versions[0].id);
      assert.equal(mysql.capabilities.databases, true);
      assert.equal(mysql.versions[0].active, undefined, 'admin fields are hidden from members');
    });

    it('shows inactive versions and admin fields to admins', async () => {
      const { datastore } = (await get(`/v1.0/${api.admin.projectId}/datastores/mysql`, api.admin.token)).json();
      assert.deepEqual(
        datastore.versions.map((v: { name: string; active: boolean }) => [v.name, v.active]),
        [
          ['8.0', false],
          ['10.11', true],
        ],
      );
      assert.deepEqual(datastore.versions[1].packages, ['mariadb-server', 'mariadb-backup', 'galera-4']);
    });

    it('finds datastores and versions by name or id', async () => {
      const base = `/v1.0/${api.demo.projectId}/datastores`;
      const byName = (await get(`${base}/postgresql`, api.demo.token)).json().datastore;
      const byId = (await get(`${base}/${byName.id}`, api.demo.token)).json().datastore;
      assert.equal(byId.name, 'postgresql');
      const versions = (await get(`${base}/postgresql/versions`, api.demo.token)).json().versions;
      assert.deepEqual(
        versions.map((v: { name: string; version: string; datastore: string }) => [v.name, v.version, v.datastore]),
        [['15', '15.18', byName.id]],
      );
      const version = (await get(`${base}/postgresql/versions/15`, api.demo.token)).json().version;
      assert.equal(version.id, versions[0].id);
      const byUuid = (await get(`${base}/versions/${version.id}`, api.demo.token)).json().version;
      assert.equal(byUuid.name, '15');
      const flavors = (await get(`${base}/postgresql/versions/15/flavors`, api.demo.token)).json().flavors;
      assert.equal(flavors.length, 5);
    });

    it('answers 404 for unknown datastores and versions', async () => {
      const base = `/v1.0/${api.demo.projectId}/datastores`;
      const unknown = await get(`${base}/oracle`, api.demo.token);
      assert.equal(unknown.statusCode, 404);
      assert.deepEqual(unknown.json(), { itemNotFound: { code: 404, message: "Datastore 'oracle' cannot be found." } });
      assert.equal((await get(`${base}/mysql/versions/9.9`, api.demo.token)).statusCode, 404);
      assert.equal((await get(`${base}/mysql/versions/8.0`, api.demo.token)).statusCode, 404, 'an inactive version is not there for members');
      assert.equal((await get(`${base}/versions/00000000-0000-0000-0000-000000000000`, api.demo.token)).statusCode, 404);
      assert.equal((await get(`${base}/redis`, api.demo.token)).statusCode, 404, 'an engine not installed is not offered');
    });
  });

  describe('limits and quotas', () => {
    it('shows absolute limits and the caller’s rate limits', async () => {
      const { limits } = (await get(`/v1.0/${api.demo.projectId}/limits`, api.demo.token)).json();
      assert.deepEqual(limits[0], { verb: 'ABSOLUTE', max_instances: 10, max_ram: -1, max_volumes: 40, max_backups: 50 });
      const getLimit = limits.find((l: { verb: string }) => l.verb === 'GET');
      assert.equal(getLimit.unit, 'MINUTE');
      assert.ok(getLimit.remaining < getLimit.value);
    });

    it('shows a project its own quotas, and only admins those of others', async () => {
      const own = await get(`/v1.0/${api.demo.projectId}/mgmt/quotas/${api.demo.projectId}`, api.demo.token);
      assert.equal(own.statusCode, 200);
      assert.deepEqual(own.json().quotas[0], { resource: 'instances', in_use: 0, reserved: 0, limit: 10 });
      assert.equal((await get(`/v1.0/${api.demo.projectId}/mgmt/quotas/${api.admin.projectId}`, api.demo.token)).statusCode, 403);
      assert.equal((await get(`/v1.0/${api.admin.projectId}/mgmt/quotas/${api.demo.projectId}`, api.admin.token)).statusCode, 200);
      assert.equal((await get(`/v1.0/${api.admin.projectId}/mgmt/quotas/nosuchproject`, api.admin.token)).statusCode, 404);
    });

    it('lets admins set quotas, which limits then reports', async () => {
      const put = (token: string, body: unknown) => api.app.inject({ method: 'PUT', url: `/v1.0/${api.admin.projectId}/mgmt/quotas/${api.demo.projectId}`, headers: { 'x-auth-token': token }, payload: body as object });
      const denied = await api.app.inject({ method: 'PUT', url: `/v1.0/${api.demo.projectId}/mgmt/quotas/${api.demo.projectId}`, headers: { 'x-auth-token': api.demo.token }, payload: { quotas: { instances: 99 } } });
      assert.equal(denied.statusCode, 403);
      const response = await put(api.admin.token, { quotas: { instances: 3, ram: 4096 } });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { quotas: { instances: 3, ram: 4096 } });
      const { limits } = (await get(`/v1.0/${api.demo.projectId}/limits`, api.demo.token)).json();
      assert.equal(limits[0].max_instances, 3);
      assert.equal(limits[0].max_ram, 4096);
    });

    it('changes nothing when any part of a quota update is bad', async () => {
      const url = `/v1.0/${api.admin.projectId}/mgmt/quotas/${api.demo.projectId}`;
      const before = await api.services.store.db.selectFrom('quotas').selectAll().orderBy('resource').execute();
      for (const quotas of [
        { instances: 7, volumes: -2 },
        { instances: 7, unicorns: 1 },
        { instances: 7, backups: 'many' },
      ]) {
        const response = await api.app.inject({ method: 'PUT', url, headers: { 'x-auth-token': api.admin.token }, payload: { quotas } });
        assert.equal(response.statusCode, 400, JSON.stringify(quotas));
        assert.ok(response.json().badRequest.message.length > 10);
      }
      const afterwards = await api.services.store.db.selectFrom('quotas').selectAll().orderBy('resource').execute();
      assert.deepEqual(afterwards, before);
    });
  });
});
