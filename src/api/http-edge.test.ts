import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../test-support/api.js';

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  /** The connection ended with an error (a reset) instead of an answer. */
  error?: string;
}

/**
 * Sends bytes as they are on a real connection to the listening server (inject would bypass Node's
 * parser, which is what answers several of these) and reads one answer. `upload` is sent in full
 * before anything is read, as most HTTP clients do: a server that closes the connection under
 * the upload makes the client see a reset instead of the answer.
 */
function rawRequest(port: number, head: string, upload?: { chunk: Buffer; count: number }): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const headers = split < 0 ? text : text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), headers, body: split < 0 ? '' : text.slice(split + 4), ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish('timed out'), 10_000);
    socket.on('data', (data) => {
      received.push(data);
      const text = Buffer.concat(received).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text.slice(0, split))?.[1];
      if (split >= 0 && length !== undefined && Buffer.byteLength(text.slice(split + 4)) >= Number(length)) finish();
    });
    socket.on('error', (err) => finish(err.message));
    socket.on('close', () => finish(received.length === 0 ? 'closed without an answer' : undefined));
    socket.write(head);
    if (upload) {
      socket.pause();
      let sent = 0;
      const pump = () => {
        while (sent < upload.count && !settled) {
          sent++;
          const last = sent === upload.count;
          const more = socket.write(upload.chunk, last ? () => socket.resume() : undefined);
          if (!more && !last) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    }
  });
}

describe('framework and Node-level errors, on a listening server', () => {
  let api: TestApi;
  let port: number;
  let project: string;
  const token = () => api.demo.token;
  const get = (path: string) => rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: ${token()}\r\nConnection: close\r\n\r\n`);
  const fault = (answer: RawAnswer) => JSON.parse(answer.body) as Record<string, { code: number; message: string }>;

  before(async () => {
    api = await startTestApi();
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    port = (api.app.server.address() as { port: number }).port;
    project = api.demo.projectId;
  });
  after(() => api.close());

  it('answers a long path parameter with the resource’s 404, and an absurdly long one with 414, neither echoing it', async () => {
    const long = 'a'.repeat(400);
    const missing = await get(`/v1.0/${project}/instances/${long}`);
    assert.equal(missing.status, 404, missing.body);
    assert.match(fault(missing).itemNotFound!.message, /^Instance 'a{99}…\(402 characters\) cannot be found\.$/);
    assert.ok(!missing.body.includes(long));
    const absurd = 'b'.repeat(2000);
    const tooLong = await get(`/v1.0/${project}/instances/${absurd}`);
    assert.equal(tooLong.status, 414, tooLong.body);
    assert.equal(fault(tooLong).badRequest!.code, 414);
    assert.match(fault(tooLong).badRequest!.message, /longer than 1024 characters/);
    assert.ok(!tooLong.body.includes('bbbbbbbbbb'));
  });

  it('answers a malformed percent-escape with 400 in Trove’s fault format', async () => {
    const answer = await get(`/v1.0/${project}/instances/%zz${'c'.repeat(50)}`);
    assert.equal(answer.status, 400, answer.body);
    assert.match(fault(answer).badRequest!.message, /malformed percent-escape/);
    assert.doesNotMatch(answer.body, /FST_ERR|ccccc/);
  });

  it('answers under /v3 in Keystone’s error shape, which keystoneauth reads', async () => {
    const missing = await get('/v3/nosuch');
    assert.equal(missing.status, 404, missing.body);
    assert.deepEqual(Object.keys(JSON.parse(missing.body)), ['error']);
    assert.equal(JSON.parse(missing.body).error.code, 404);
    const wrong = await rawRequest(port, 'PATCH /v3/auth/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.equal(wrong.status, 405, wrong.body);
    assert.equal(JSON.parse(wrong.body).error.title, 'Method Not Allowed');
    const badEscape = await get('/v3/users/%zz');
    assert.equal(badEscape.status, 400, badEscape.body);
    assert.match(JSON.parse(badEscape.body).error.message, /malformed percent-escape/);
  });

  it('answers a 20 KB URL with 431 and an unknown HTTP method with 501, as faults', async () => {
    const huge = await get(`/v1.0/${project}/instances?marker=${'d'.repeat(20_000)}`);
    assert.equal(huge.status, 431, huge.headers);
    assert.deepEqual(Object.keys(fault(huge)), ['badRequest']);
    assert.match(fault(huge).badRequest!.message, /larger than the \d+ bytes/);
    assert.ok(!huge.body.includes('ddddd'));
    const unknown = await rawRequest(port, `FROB /v1.0/${project}/flavors HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.equal(unknown.status, 501, unknown.headers);
    assert.match(fault(unknown).notImplemented!.message, /Unknown HTTP method: this API takes GET, HEAD, POST, PUT, PATCH, DELETE/);
    assert.doesNotMatch(unknown.body, /Client Error/);
    const known = await rawRequest(port, `PROPFIND /v1.0/${project}/flavors HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.equal(known.status, 405, 'a method Node parses but no route has');
    assert.match(known.headers, /\r\nallow: GET, HEAD/i);
  });

  it('never echoes a 100 KB field back whole in a 400', async () => {
    const huge = 'e'.repeat(100_000);
    const bodies = [{ instance: { name: 'n', flavorRef: '1', volume: { size: 1 }, [huge]: 1 } }, { instance: { name: 'n', flavorRef: '1', volume: { size: 1 }, datastore: { type: huge } } }, { quotas: { [huge]: 1 } }];
    const paths = [`/v1.0/${project}/instances`, `/v1.0/${project}/instances`, `/v1.0/${api.admin.projectId}/mgmt/quotas/${project}`];
    for (const [i, body] of bodies.entries()) {
      const text = JSON.stringify(body);
      const who = i === 2 ? api.admin.token : token();
      const answer = await rawRequest(port, `${i === 2 ? 'PUT' : 'POST'} ${paths[i]} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: ${who}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
      assert.ok(answer.status >= 400 && answer.status < 500, `${i}: ${answer.status}`);
      assert.ok(answer.body.length < 2000, `${i}: a ${answer.body.length}-character answer`);
      assert.match(answer.body, /…\(100\d{3} characters\)|eeee…/, `${i}: ${answer.body}`);
    }
  });

  it('answers every body over the limit with 413 in Trove’s format, never a closed connection (20 of 20, sized and chunked)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'f');
    const count = 128; // 8 MB: over the 1 MB limit, and more than the kernel's socket buffers hold
    const head = (framing: string) => `PUT /v1.0/${api.admin.projectId}/mgmt/quotas/${project} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: ${api.admin.token}\r\nContent-Type: application/json\r\n${framing}\r\n`;
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const chunked = i % 2 === 1;
      const answer = chunked
        ? await rawRequest(port, head('Transfer-Encoding: chunked\r\n'), { chunk: Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]), count })
        : await rawRequest(port, head(`Content-Length: ${chunk.length * count}\r\n`), { chunk, count });
      outcomes.push(answer.status === 413 && answer.body.includes('"overLimit"') ? 'ok' : `${chunked ? 'chunked' : 'sized'}: ${answer.status} ${answer.error ?? ''} ${answer.body.slice(0, 100)}`);
    }
    assert.deepEqual(
      outcomes.filter((o) => o !== 'ok'),
      [],
    );
  });
});
