import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../test-support/api.js';

/** The login body python-troveclient 8.0 and openstackclient 6.0 send, as recorded (their password swapped in). */
function clientLoginBody(user: string, password: string, project: string): string {
  return `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"password": ${JSON.stringify(password)}, "name": "${user}", "domain": {"name": "Default"}}}}, "scope": {"project": {"name": "${project}", "domain": {"name": "Default"}}}}}`;
}

function passwordBody(user: string, password: string, scope?: unknown) {
  return { auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, ...(scope === undefined ? {} : { scope }) } };
}

describe("Keystone's rules on /v3", () => {
  let api: TestApi;
  let other: { token: string; projectId: string };

  const post = (payload: unknown, remoteAddress = '127.0.0.1') => api.app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: payload as object, remoteAddress });
  const onSubject = (method: 'GET' | 'HEAD' | 'DELETE', own: string, subject: string) => api.app.inject({ method, url: '/v3/auth/tokens', headers: { 'x-auth-token': own, 'x-subject-token': subject } });
  const flavors = (token: string, projectId = api.demo.projectId) => api.app.inject({ method: 'GET', url: `/v1.0/${projectId}/flavors`, headers: { 'x-auth-token': token } });

  before(async () => {
    api = await startTestApi({ identity: { login_failures_per_user: 3, login_failures_per_source: 6, login_failure_window_seconds: 900 } });
    await api.services.identity.createProject('other');
    await api.services.identity.createUser('other', 'other', 'other-password', 'member');
    const response = await api.app.inject({ method: 'POST', url: '/v3/auth/tokens', headers: { 'content-type': 'application/json' }, payload: clientLoginBody('other', 'other-password', 'other') });
    assert.equal(response.statusCode, 201, response.body);
    other = { token: String(response.headers['x-subject-token']), projectId: response.json().token.project.id };
  });
  after(() => api.close());

  describe('token details and revocation', () => {
    it("refuses a member another user's token in GET, HEAD and DELETE with 403, and the token stays valid", async () => {
      for (const [method, action] of [
        ['GET', 'identity:validate_token'],
        ['DELETE', 'identity:revoke_token'],
      ] as const) {
        const response = await onSubject(method, api.demo.token, other.token);
        assert.equal(response.statusCode, 403, `${method}: ${response.body}`);
        assert.deepEqual(response.json(), { error: { code: 403, title: 'Forbidden', message: `You are not authorized to perform the requested action: ${action}.` } });
        assert.equal(response.headers['x-subject-token'], undefined);
      }
      const head = await onSubject('HEAD', api.demo.token, other.token);
      assert.equal(head.statusCode, 403);
      assert.equal((await flavors(other.token, other.projectId)).statusCode, 200, 'the token was not revoked');
    });

    it('lets the owner and an admin read a token; an unknown subject is 404', async () => {
      const own = await onSubject('GET', other.token, other.token);
      assert.equal(own.statusCode, 200);
      assert.equal(own.json().token.user.name, 'other');
      assert.equal((await onSubject('HEAD', other.token, other.token)).statusCode, 200);
      const byAdmin = await onSubject('GET', api.admin.token, other.token);
      assert.equal(byAdmin.statusCode, 200);
      assert.equal(byAdmin.json().token.project.name, 'other');
      assert.equal((await onSubject('GET', api.demo.token, 'trv_unknown')).statusCode, 404);
      assert.equal((await onSubject('GET', 'trv_unknown', other.token)).statusCode, 401);
    });

    it('lets an admin revoke any token and a user their own', async () => {
      const second = await post(passwordBody('other', 'other-password', { project: { name: 'other' } }));
      const third = await post(passwordBody('other', 'other-password', { project: { name: 'other' } }));
      assert.equal((await onSubject('DELETE', api.admin.token, String(second.headers['x-subject-token']))).statusCode, 204);
      assert.equal((await onSubject('DELETE', other.token, String(third.headers['x-subject-token']))).statusCode, 204);
      assert.equal((await flavors(String(second.headers['x-subject-token']), other.projectId)).statusCode, 401);
      assert.equal((await flavors(String(third.headers['x-subject-token']), other.projectId)).statusCode, 401);
      assert.equal((await flavors(other.token, other.projectId)).statusCode, 200);
    });
  });

  describe('scopes', () => {
    it('accepts the exact login of troveclient and openstackclient and scopes to the named project', async () => {
      const response = await api.app.inject({ method: 'POST', url: '/v3/auth/tokens', headers: { 'content-type': 'application/json' }, payload: clientLoginBody('demo', 'demo-password', 'demo') });
      assert.equal(response.statusCode, 201);
      const { token } = response.json();
      assert.equal(token.project.id, api.demo.projectId);
      assert.deepEqual(token.methods, ['password']);
      assert.ok(token.catalog.some((s: { type: string }) => s.type === 'database'));
      assert.equal((await flavors(String(response.headers['x-subject-token']))).statusCode, 200);
    });

    it('gives an unscoped token for scope "unscoped" (and the old {"unscoped": {}}), refused on project routes', async () => {
      for (const scope of ['unscoped', { unscoped: {} }]) {
        const response = await post(passwordBody('demo', 'demo-password', scope));
        assert.equal(response.statusCode, 201, response.body);
        const token = String(response.headers['x-subject-token']);
        assert.match(token, /^trv_/);
        const body = response.json().token;
        assert.deepEqual(Object.keys(body).sort(), ['audit_ids', 'expires_at', 'issued_at', 'methods', 'user']);
        assert.equal(body.user.name, 'demo');
        const refused = await flavors(token);
        assert.equal(refused.statusCode, 403);
        assert.match(refused.json().forbidden.message, /unscoped/);
        assert.equal((await api.app.inject({ method: 'GET', url: '/compute/v2.1/servers', headers: { 'x-auth-token': token } })).statusCode, 403);
      }
      const both = await post(passwordBody('demo', 'demo-password', { unscoped: {}, project: { name: 'demo' } }));
      assert.equal(both.statusCode, 400);
      assert.equal(both.json().error.code, 400);
    });

    it('scopes a login without scope to the default project, as Keystone does', async () => {
      const response = await post(passwordBody('demo', 'demo-password'));
      assert.equal(response.statusCode, 201);
      assert.equal(response.json().token.project.id, api.demo.projectId);
    });

    it('exchanges an unscoped token for a project-scoped one with the token method', async () => {
      const unscoped = await post(passwordBody('demo', 'demo-password', 'unscoped'));
      const unscopedToken = String(unscoped.headers['x-subject-token']);
      const exchange = await post({ auth: { identity: { methods: ['token'], token: { id: unscopedToken } }, scope: { project: { name: 'demo', domain: { name: 'Default' } } } } });
      assert.equal(exchange.statusCode, 201, exchange.body);
      const body = exchange.json().token;
      assert.equal(body.project.id, api.demo.projectId);
      assert.deepEqual(body.methods, ['token', 'password']);
      assert.equal(body.expires_at, unscoped.json().token.expires_at);
      assert.deepEqual(body.audit_ids[1], unscoped.json().token.audit_ids[0]);
      assert.equal((await flavors(String(exchange.headers['x-subject-token']))).statusCode, 200);
      const elsewhere = await post({ auth: { identity: { methods: ['token'], token: { id: unscopedToken } }, scope: { project: { name: 'other' } } } });
      assert.equal(elsewhere.statusCode, 401);
      const unknown = await post({ auth: { identity: { methods: ['token'], token: { id: 'trv_unknown' } }, scope: { project: { name: 'demo' } } } });
      assert.equal(unknown.statusCode, 401);
    });
  });

  describe('passwords and failed logins', () => {
    it('refuses the right password with a trailing NUL', async () => {
      const response = await post(passwordBody('demo', 'demo-password\u0000', { project: { name: 'demo' } }), '192.0.2.200');
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers['x-subject-token'], undefined);
      assert.equal((await post(passwordBody('demo', 'demo-password', { project: { name: 'demo' } }), '192.0.2.200')).statusCode, 201);
    });

    it('answers 429 with Retry-After in Keystone shape after 3 wrong passwords, even for the right one', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await post(passwordBody('other', 'wrong-password'), `198.51.100.${i}`)).statusCode, 401);
      const limited = await post(passwordBody('other', 'other-password', { project: { name: 'other' } }), '198.51.100.9');
      assert.equal(limited.statusCode, 429);
      assert.match(String(limited.headers['retry-after']), /^\d+$/);
      assert.ok(Number(limited.headers['retry-after']) > 800 && Number(limited.headers['retry-after']) <= 900);
      const body = limited.json();
      assert.equal(body.error.code, 429);
      assert.equal(body.error.title, 'Too Many Requests');
      assert.match(body.error.message, /try again in \d+ seconds/);
      assert.equal(limited.headers['x-subject-token'], undefined);
      // The other user's valid tokens are untouched: the limit is on logins.
      assert.equal((await flavors(other.token, other.projectId)).statusCode, 200);
    });

    it('refuses an address after 6 failures on any users, while others log in from elsewhere', async () => {
      const source = '203.0.113.7';
      for (let i = 0; i < 6; i++) assert.equal((await post(passwordBody(`guess${i}`, 'wrong-password'), source)).statusCode, 401);
      assert.equal((await post(passwordBody('demo', 'demo-password'), source)).statusCode, 429);
      assert.equal((await post(passwordBody('demo', 'demo-password'), '203.0.113.8')).statusCode, 201);
    });
  });
});
