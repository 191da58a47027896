import { request } from 'node:http';
import { mismatch } from '../../common/json.js';
import { pathParameters, type RequestOf, type ResponseOf, type Route } from './route.js';

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

/** The agent failed a request it accepted, or answered something its route does not declare. */
export class AgentFailed extends Error {}

/** Where a request goes and what it carries, from its route's declaration. */
function encode(route: Route, input: unknown): { path: string; body: string | undefined } {
  const fields: Record<string, unknown> = { ...(input as Record<string, unknown> | undefined) };
  let path = route.path;
  for (const name of pathParameters(route.path)) {
    path = path.replace(`:${name}`, encodeURIComponent(String(fields[name])));
    delete fields[name];
  }
  if (route.method === 'GET') {
    const query = new URLSearchParams(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
    return { path: query.size > 0 ? `${path}?${query}` : path, body: undefined };
  }
  return { path, body: JSON.stringify(fields) };
}

/** Calls an instance's agent: JSON over HTTP on its unix socket, through the routes it declares (routes.ts). */
export class AgentClient {
  constructor(private readonly socketPath: string) {}

  /** Calls `route`; the answer is checked against the route's response schema. */
  async call<R extends Route>(route: R, ...[input, options]: RequestOf<R> extends void ? [input?: undefined, options?: { timeoutMs?: number }] : [input: RequestOf<R>, options?: { timeoutMs?: number }]): Promise<ResponseOf<R>> {
    const { path, body } = encode(route, input);
    const what = `${route.method} ${route.path}`;
    const response = await this.send(route.method, path, body, options?.timeoutMs ?? route.timeoutMs, what);
    const answer = response.body as { error?: unknown } | undefined;
    const error = typeof answer?.error === 'string' ? answer.error : undefined;
    if (response.status >= 400 && response.status < 500) throw new AgentRefused(response.status, error ?? `agent answered ${response.status}`);
    if (response.status >= 400) throw new AgentFailed(`agent failed ${what}: ${error ?? response.status}`);
    const wrong = mismatch(route.response, response.body);
    // The path and the schema's complaint only: an answer may hold a password.
    if (wrong !== undefined) throw new AgentFailed(`agent answered ${what} with what its route does not declare, at ${wrong}`);
    return response.body as ResponseOf<R>;
  }

  private send(method: string, path: string, payload: string | undefined, timeoutMs: number, what: string): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
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
              // Unknown until checked against the route's response schema (call).
              resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : {} });
            } catch {
              reject(new AgentFailed(`agent answered ${what} with ${res.statusCode} and a body that is not JSON`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new AgentUnreachable(`agent did not answer ${what} within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof AgentUnreachable ? err : new AgentUnreachable(`agent unreachable: ${err.message}`, NOT_SENT.has(err.code ?? ''))));
      req.end(payload);
    });
  }
}
