import { request } from 'node:http';
import type { AgentStatus, PrepareRequest } from '../agent/protocol.js';

/** Connect errors: the request never reached an agent (none listening, or restarting), so sending it again is safe. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN']);

export class AgentUnreachable extends Error {
  constructor(
    message: string,
    /** True when the request never reached the agent. */
    readonly notSent = false,
  ) {
    super(message);
  }
}

/** The agent refused a request (bad input, unknown user, engine not running…). */
export class AgentRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls an instance's agent: JSON over HTTP on its unix socket. */
export class AgentClient {
  constructor(private readonly socketPath: string) {}

  private call<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: T }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        // A connection per call (agent: false): a kept-alive socket the agent closes, or one left from
        // an agent that restarted, fails the next call that picks it with a reset.
        { socketPath: this.socketPath, method, path, agent: false, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            try {
              resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as T });
            } catch {
              reject(new Error(`agent answered ${res.statusCode} with a body that is not JSON`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new AgentUnreachable(`agent did not answer ${method} ${path} within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof AgentUnreachable ? err : new AgentUnreachable(`agent unreachable: ${err.message}`, NOT_SENT.has(err.code ?? ''))));
      req.end(payload);
    });
  }

  private async expectOk<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    const response = await this.call<T & { error?: string }>(method, path, body, timeoutMs);
    if (response.status >= 400 && response.status < 500) throw new AgentRefused(response.status, response.body.error ?? `agent answered ${response.status}`);
    if (response.status >= 400) throw new Error(`agent failed ${method} ${path}: ${response.body.error ?? response.status}`);
    return response.body;
  }

  status(timeoutMs = 3000): Promise<AgentStatus> {
    return this.expectOk('GET', '/status', undefined, timeoutMs);
  }

  prepare(body: PrepareRequest): Promise<{ prepare: string }> {
    return this.expectOk('POST', '/prepare', body, 10_000);
  }

  restart(): Promise<unknown> {
    return this.expectOk('POST', '/restart', {}, 180_000);
  }

  get<T>(path: string): Promise<T> {
    return this.expectOk('GET', path, undefined, 30_000);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.expectOk('PUT', path, body, 60_000);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.expectOk('POST', path, body, 60_000);
  }

  shutdown(): Promise<unknown> {
    return this.expectOk('POST', '/shutdown', {}, 60_000);
  }
}
