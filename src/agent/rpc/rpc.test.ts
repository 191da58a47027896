import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import { UnprocessableEntity, NotFound } from '../../common/errors.js';
import { AgentClient, AgentFailed, AgentRefused, AgentUnreachable } from './client.js';
import { agentFault } from './faults.js';
import { pathParameters } from './route.js';
import { routes } from './routes.js';
import { serve } from './serve.js';

const ID = '6592513f-971e-436f-b36c-765fe84e69e9';

describe('the agent routes', () => {
  it('declares each method and path once, with its path parameters in its request', () => {
    const seen = new Set<string>();
    for (const [name, route] of Object.entries(routes)) {
      const key = `${route.method} ${route.path}`;
      assert.ok(!seen.has(key), `${name}: ${key} is declared twice`);
      seen.add(key);
      for (const parameter of pathParameters(route.path)) assert.ok((route.request?.properties as Record<string, unknown> | undefined)?.[parameter], `${name}: ${parameter} is not in its request`);
      // A query string carries text only.
      if (route.method === 'GET' && route.request) for (const [field, schema] of Object.entries(route.request.properties)) assert.equal((schema as { type?: string }).type, 'string', `${name}: ${field}`);
    }
    assert.equal(seen.size, 44);
  });
});

describe('the agent client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trove-rpc-'));
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const agentAnswering = async (name: string, status: number, body: unknown): Promise<{ client: AgentClient; asked: Array<{ method?: string; url?: string; body: string }> }> => {
    const asked: Array<{ method?: string; url?: string; body: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        asked.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString() });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    servers.push(server);
    const socket = join(dir, `${name}.sock`);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return { client: new AgentClient(socket), asked };
  };

  it('puts path parameters in the path, the rest in the query string or the body, and returns a checked answer', async () => {
    const state = { backup_id: ID, state: 'running', stored_bytes: 10 };
    const { client, asked } = await agentAnswering('state', 200, state);
    assert.deepEqual(await client.call(routes.backupState, { id: ID, wait_ms: '500' }), state);
    await client.call(routes.backupAbort, { id: ID });
    assert.deepEqual(asked, [
      { method: 'GET', url: `/backups/${ID}?wait_ms=500`, body: '' },
      { method: 'POST', url: `/backups/${ID}/abort`, body: '{}' },
    ]);
  });

  it('fails an answer its route does not declare, without quoting it', async () => {
    const { client } = await agentAnswering('wrong', 200, { user: { name: 'root', password: 42 } });
    await assert.rejects(client.call(routes.rootEnable, {}), (err: unknown) => err instanceof AgentFailed && /POST \/root\/enable .* does not declare, at \/user\/password/.test(err.message) && !err.message.includes('42'));
  });

  it('tells a refusal, a failure and a silent agent apart', async () => {
    const { client: refusing } = await agentAnswering('refusing', 409, { error: 'The engine is not prepared yet.' });
    await assert.rejects(refusing.call(routes.engineStart), (err: unknown) => err instanceof AgentRefused && err.status === 409 && err.message === 'The engine is not prepared yet.');
    const { client: failing } = await agentAnswering('failing', 500, { error: 'disk full' });
    await assert.rejects(failing.call(routes.engineStart), (err: unknown) => err instanceof AgentFailed && /disk full/.test(err.message));
    await assert.rejects(new AgentClient(join(dir, 'nobody.sock')).call(routes.status), (err: unknown) => err instanceof AgentUnreachable && err.notSent);
  });
});

describe('agent faults', () => {
  it('makes a silent agent a 422 and keeps a refusal’s kind and message', () => {
    assert.throws(
      () => agentFault(new AgentUnreachable('agent unreachable: ECONNREFUSED', true), ID),
      (err: unknown) => err instanceof UnprocessableEntity && err.status === 422 && err.message.includes(ID),
    );
    assert.throws(
      () => agentFault(new AgentRefused(404, 'no such user'), ID),
      (err: unknown) => err instanceof NotFound && err.message === 'no such user',
    );
    assert.throws(
      () => agentFault(new AgentRefused(409, 'busy'), ID, (m) => new UnprocessableEntity(m)),
      (err: unknown) => err instanceof UnprocessableEntity && err.message === 'busy',
    );
    const other = new AgentFailed('agent failed');
    assert.throws(
      () => agentFault(other, ID),
      (err: unknown) => err === other,
    );
  });
});

describe('serving a declared route', () => {
  it('validates path parameters, query and body against the declaration before its handler runs', async () => {
    const app = Fastify({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false } } });
    const heard: unknown[] = [];
    serve(app, routes.backupState, async (input) => {
      heard.push(input);
      return { backup_id: input.id, state: 'unknown' };
    });
    serve(app, routes.replicationRelease, async (input) => {
      heard.push(input);
      return { ok: true };
    });
    assert.equal((await app.inject({ method: 'GET', url: `/backups/${ID}?wait_ms=20` })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/backups/not-an-id' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url: '/replication/release', payload: { retainer: 'replica_a' } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/replication/release', payload: { retainer: 'replica_a', extra: 1 } })).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url: '/replication/release', payload: { retainer: 'Bad Name' } })).statusCode, 400);
    assert.deepEqual(heard, [{ id: ID, wait_ms: '20' }, { retainer: 'replica_a' }]);
    await app.close();
  });
});
