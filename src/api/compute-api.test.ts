import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { newId } from '../common/ids.js';
import type { InstanceTable } from '../state/schema.js';
import { startTestApi, type TestApi } from '../test-support/api.js';

/**
 * Runs tempest's own response validation (RestClient.validate_response with the v2.1 servers
 * schemas, its draft-4 validator and format checker) on bodies this API returned: the shape
 * check the tempest plugin's admin servers client makes after a resize. Debian's interpreter,
 * which has Debian's python3-tempest and python3-jsonschema.
 */
function validateWithTempest(cases: Array<{ schema: 'list_servers' | 'list_servers_detail' | 'get_server'; body: unknown }>): void {
  const script = [
    'import json, sys',
    'from tempest.lib.api_schema.response.compute.v2_1 import servers as schema',
    'from tempest.lib.common import rest_client',
    'class Response:',
    '    status = 200',
    'for index, case in enumerate(json.load(sys.stdin)):',
    '    try:',
    '        rest_client.RestClient.validate_response(getattr(schema, case["schema"]), Response(), case["body"])',
    '    except Exception as ex:',
    '        sys.exit("case %d (%s): %s" % (index, case["schema"], " ".join(str(ex).split())[:2000]))',
  ].join('\n');
  try {
    execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(cases), stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? err).trim();
    assert.fail(`tempest refuses the response (python3-tempest must be installed): ${stderr.split('\n').slice(-1)[0]}`);
  }
}

describe('compute view (Nova servers, read-only)', () => {
  let api: TestApi;
  const rows: Record<string, InstanceTable> = {};
  const get = (url: string, who: 'demo' | 'admin' | 'nobody' = 'demo', headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers: { ...(who === 'nobody' ? {} : { 'x-auth-token': api[who].token }), ...headers } });

  async function instance(key: string, values: Partial<InstanceTable>): Promise<InstanceTable> {
    const now = new Date(Date.now() - 60_000 + Object.keys(rows).length * 1000).toISOString();
    const row: InstanceTable = {
      id: newId(),
      project_id: api.demo.projectId,
      name: key,
      flavor_id: '1',
      ram_mb: 512,
      vcpus: 1,
      volume_size: 1,
      datastore: 'mysql',
      datastore_version: '10.11',
      datastore_version_full: '10.11.19',
      task_status: 'NONE',
      address: '127.0.10.7',
      port: 3306,
      server_status: 'ACTIVE',
      service_status: 'HEALTHY',
      service_status_updated: now,
      last_contact_at: new Date().toISOString(),
      volume_used_bytes: 0,
      fault_message: null,
      fault_details: null,
      fault_created: null,
      deleted: 0,
      deleted_at: null,
      created_at: now,
      updated_at: now,
      root_enabled_at: null,
      configuration_id: null,
      applied_configuration: null,
      restart_required: 0,
      replica_of_id: null,
      replication_secret: null,
      replication_status: null,
      auto_failover: 0,
      access_public: 0,
      access_cidrs: '[]',
      cluster_id: null,
      cluster_member_type: null,
      ...values,
    };
    await api.services.store.db.insertInto('instances').values(row).execute();
    rows[key] = row;
    return row;
  }

  before(async () => {
    api = await startTestApi({ catalog: { disabled: [], versions: [{ datastore: 'mysql', version: '10.11', active: true, image: 'img-mariadb-10.11' }] } });
    await instance('orders-db', { flavor_id: '3' });
    await instance('orders-db-replica', { datastore: 'postgresql', datastore_version: '15', datastore_version_full: '15.18', address: '127.0.10.8', port: 5432, task_status: 'RESIZING' });
    await instance('billing', { task_status: 'BUILDING', address: null, port: null, server_status: 'BUILD', service_status: 'NEW', last_contact_at: null });
    await instance('broken-orders', { task_status: 'ERROR', service_status: 'FAILED', fault_message: 'Instance could not be built: disk full', fault_details: 'ENOSPC', fault_created: new Date().toISOString() });
    await instance('old-orders', { deleted: 1, deleted_at: new Date().toISOString() });
    await instance('admin-orders', { project_id: api.admin.projectId, flavor_id: '2', address: '127.0.10.9', service_status: 'SHUTDOWN' });
  });
  after(() => api.close());

  it('is in the token catalog beside the database endpoint, with public, internal and admin endpoints', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/v3/auth/tokens',
      headers: { host: 'trove.example:8779' },
      payload: { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin-password' } } }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } } },
    });
    assert.equal(response.statusCode, 201);
    const catalog = response.json().token.catalog as Array<{ type: string; name: string; endpoints: Array<Record<string, string>> }>;
    assert.deepEqual(
      catalog.map((s) => s.type),
      ['identity', 'database', 'compute'],
    );
    const compute = catalog.find((s) => s.type === 'compute')!;
    assert.equal(compute.name, 'nova');
    assert.deepEqual(
      compute.endpoints,
      ['public', 'internal', 'admin'].map((iface) => ({ id: `compute-${iface}`, interface: iface, region: 'RegionOne', region_id: 'RegionOne', url: 'http://trove.example:8779/compute/v2.1' })),
    );
  });

  it("lists all projects' servers for an admin with all_tenants, filtered by an unanchored regular expression on the name", async () => {
    const response = await get('/compute/v2.1/servers/detail?all_tenants=True&name=orders', 'admin');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-openstack-nova-api-version'], '2.1');
    assert.equal(response.headers['openstack-api-version'], 'compute 2.1');
    const servers = response.json().servers as Array<{ name: string; tenant_id: string }>;
    assert.deepEqual(servers.map((s) => s.name).sort(), ['admin-orders', 'broken-orders', 'orders-db', 'orders-db-replica'], 'billing does not match; a deleted instance is no server');
    assert.equal(servers.find((s) => s.name === 'admin-orders')!.tenant_id, api.admin.projectId);
    const anchored = (await get(`/compute/v2.1/servers/detail?all_tenants=1&name=${encodeURIComponent('^orders$')}`, 'admin')).json().servers;
    assert.equal(anchored.length, 0);
    const summary = (await get('/compute/v2.1/servers?all_tenants&name=%5Eorders-db%24', 'admin')).json();
    assert.deepEqual(summary, {
      servers: [
        {
          id: rows['orders-db']!.id,
          name: 'orders-db',
          links: [
            { rel: 'self', href: `http://localhost:80/compute/v2.1/servers/${rows['orders-db']!.id}` },
            { rel: 'bookmark', href: `http://localhost:80/compute/servers/${rows['orders-db']!.id}` },
          ],
        },
      ],
    });
    const own = (await get('/compute/v2.1/servers/detail?name=orders', 'admin')).json().servers;
    assert.deepEqual(
      own.map((s: { name: string }) => s.name),
      ['admin-orders'],
      'without all_tenants an admin sees its own project',
    );
  });

  it("shows the instance's flavor, status, address and image as Nova would, as tempest checks after a resize", async () => {
    const servers = (await get('/compute/v2.1/servers/detail?all_tenants=True&name=orders-db', 'admin')).json().servers as Array<Record<string, unknown>>;
    const server = servers.find((s) => s.name === 'orders-db')!;
    assert.deepEqual(server.flavor, { id: '3', links: [{ rel: 'bookmark', href: 'http://localhost:80/compute/flavors/3' }] });
    assert.equal(server.status, 'ACTIVE');
    assert.equal(server.tenant_id, api.demo.projectId);
    assert.deepEqual(server.addresses, { local: [{ addr: '127.0.10.7', version: 4, 'OS-EXT-IPS:type': 'fixed' }] });
    assert.deepEqual(server.image, { id: 'img-mariadb-10.11', links: [{ rel: 'bookmark', href: 'http://localhost:80/compute/images/img-mariadb-10.11' }] });
    assert.match(String(server.created), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(server['OS-EXT-SRV-ATTR:host'] !== undefined, true, 'admins see the host attributes');
    const replica = servers.find((s) => s.name === 'orders-db-replica')!;
    assert.equal(replica.status, 'RESIZE');
    const installedImage = api.services.catalog.get('postgresql').versions[0]!.image;
    assert.match(installedImage, /^[0-9a-f-]{36}$/);
    assert.equal((replica.image as { id: string }).id, installedImage, "an installed version's guests are built from the local image");
    const byStatus = (await get('/compute/v2.1/servers/detail?all_tenants=True&status=error', 'admin')).json().servers;
    assert.deepEqual(
      byStatus.map((s: { name: string }) => s.name),
      ['broken-orders'],
    );
    assert.deepEqual(byStatus[0].fault.message, 'Instance could not be built: disk full');
    const shutoff = (await get(`/compute/v2.1/servers/${rows['admin-orders']!.id}`, 'admin')).json().server;
    assert.equal(shutoff.status, 'SHUTOFF');
    assert.equal(shutoff['OS-EXT-STS:power_state'], 4);
  });

  it("answers in the shape tempest's v2.1 servers schemas accept, for admins and members, in every status", async () => {
    const demoId = rows['orders-db']!.id;
    const cases = [
      { schema: 'list_servers_detail' as const, body: (await get('/compute/v2.1/servers/detail?all_tenants=True', 'admin')).json() },
      { schema: 'list_servers_detail' as const, body: (await get('/compute/v2.1/servers/detail')).json() },
      { schema: 'list_servers_detail' as const, body: (await get('/compute/v2.1/servers/detail?limit=1')).json() },
      { schema: 'list_servers' as const, body: (await get('/compute/v2.1/servers?all_tenants=True', 'admin')).json() },
      { schema: 'get_server' as const, body: (await get(`/compute/v2.1/servers/${demoId}`)).json() },
      { schema: 'get_server' as const, body: (await get(`/compute/v2.1/servers/${rows.billing!.id}`, 'admin')).json() },
    ];
    assert.equal(cases[0]!.body.servers.length, 5);
    assert.deepEqual(new Set(cases[0]!.body.servers.map((s: { status: string }) => s.status)), new Set(['ACTIVE', 'RESIZE', 'BUILD', 'ERROR', 'SHUTOFF']));
    validateWithTempest(cases);
    const broken = structuredClone(cases[4]!.body);
    delete broken.server.hostId;
    assert.throws(() => validateWithTempest([{ schema: 'get_server', body: broken }]), /hostId/, 'the check does catch a missing field');
  });

  it("lets tempest's own servers client find the endpoint in the catalog and check the flavor, as the resize test does", async () => {
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as AddressInfo;
    const script = [
      'import json, sys',
      'from tempest.lib import auth',
      'from tempest.lib.services.compute import servers_client',
      "creds = auth.KeystoneV3Credentials(username='admin', password='admin-password', project_name='admin', user_domain_name='Default', project_domain_name='Default')",
      'provider = auth.KeystoneV3AuthProvider(creds, sys.argv[1])',
      "client = servers_client.ServersClient(provider, 'compute', 'RegionOne', endpoint_type='publicURL')",
      "params = {'all_tenants': True, 'detail': True, 'name': sys.argv[2]}",
      "servers = client.list_servers(**params)['servers']",
      "print(json.dumps([s['flavor']['id'] for s in servers]))",
    ].join('\n');
    // Asynchronously: the server answers on this event loop.
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, `http://127.0.0.1:${port}/v3`, 'orders-db$'], { encoding: 'utf8', timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), ['3']);
  });

  it('pages with limit and marker, linking the next page', async () => {
    const first = (await get('/compute/v2.1/servers/detail?limit=2')).json();
    assert.equal(first.servers.length, 2);
    const next = new URL(first.servers_links[0].href);
    assert.equal(first.servers_links[0].rel, 'next');
    assert.equal(next.pathname, '/compute/v2.1/servers/detail');
    const second = (await get(`${next.pathname}${next.search}`)).json();
    assert.equal(second.servers.length, 2);
    assert.equal(second.servers_links, undefined);
    assert.equal((await get('/compute/v2.1/servers?limit=x')).statusCode, 400);
  });

  it("refuses all_tenants to a member with 403, as Nova's policy does, and shows a member only its project", async () => {
    const denied = await get('/compute/v2.1/servers/detail?all_tenants=True&name=orders');
    assert.equal(denied.statusCode, 403);
    assert.match(denied.json().forbidden.message, /get_all_tenants/);
    assert.equal((await get('/compute/v2.1/servers?all_tenants=1')).statusCode, 403);
    const own = (await get('/compute/v2.1/servers/detail?all_tenants=false&name=orders')).json().servers;
    assert.deepEqual(own.map((s: { name: string }) => s.name).sort(), ['broken-orders', 'orders-db', 'orders-db-replica']);
    assert.equal(own[0]['OS-EXT-SRV-ATTR:host'], undefined, 'members do not see the host attributes');
    assert.equal((await get('/compute/v2.1/servers/detail?all_tenants=maybe', 'admin')).statusCode, 400);
  });

  it("hides another project's server from a member with 404, and any deleted one", async () => {
    const other = await get(`/compute/v2.1/servers/${rows['admin-orders']!.id}`);
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().itemNotFound.code, 404);
    assert.equal((await get(`/compute/v2.1/servers/${rows['old-orders']!.id}`, 'admin')).statusCode, 404);
    const shown = await get(`/compute/v2.1/servers/${rows['orders-db']!.id}`, 'admin');
    assert.equal(shown.statusCode, 200, 'admins see every project');
    assert.equal(shown.json().server.name, 'orders-db');
  });

  it('refuses unknown query parameters, naming them, and a bad regular expression, with 400', async () => {
    const unknown = await get('/compute/v2.1/servers/detail?all_tenants=True&flavor=3&changes-since=2020-01-01', 'admin');
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().badRequest.message, /Invalid query parameters flavor, changes-since: this compute view takes only all_tenants, name, status, limit, marker/);
    const badRegex = await get(`/compute/v2.1/servers/detail?name=${encodeURIComponent('orders(')}`);
    assert.equal(badRegex.statusCode, 400);
    assert.match(badRegex.json().badRequest.message, /Invalid 'name' filter: "orders\(" is not a valid regular expression/);
  });

  it('stops a regular expression that backtracks without end instead of hanging the server', async () => {
    await instance('a'.repeat(60), {});
    const started = Date.now();
    const response = await get(`/compute/v2.1/servers?name=${encodeURIComponent('^(a+)+b$')}`);
    assert.equal(response.statusCode, 400);
    assert.match(response.json().badRequest.message, /took longer than/);
    assert.ok(Date.now() - started < 5000);
  });

  it('needs a token, serves microversion 2.1 only, and describes its version without a token', async () => {
    const anonymous = await get('/compute/v2.1/servers/detail', 'nobody');
    assert.equal(anonymous.statusCode, 401);
    assert.equal((await get('/compute/v2.1/servers', 'demo', { 'x-openstack-nova-api-version': '2.1' })).statusCode, 200);
    assert.equal((await get('/compute/v2.1/servers', 'demo', { 'openstack-api-version': 'compute latest' })).statusCode, 200);
    const later = await get('/compute/v2.1/servers', 'demo', { 'x-openstack-nova-api-version': '2.79' });
    assert.equal(later.statusCode, 406);
    assert.match(later.json().computeFault.message, /Version 2\.79 is not supported by the API\. Minimum is 2\.1 and maximum is 2\.1\./);
    assert.equal((await get('/compute/v2.1/servers', 'demo', { 'openstack-api-version': 'compute two' })).statusCode, 400);
    const version = await get('/compute/v2.1/', 'nobody');
    assert.equal(version.statusCode, 200);
    assert.equal(version.json().version.id, 'v2.1');
    assert.equal(version.json().version.version, '2.1');
    assert.deepEqual(
      (await get('/compute', 'nobody')).json().versions.map((v: { id: string }) => v.id),
      ['v2.1'],
    );
  });
});
