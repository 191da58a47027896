import type { LatencyRecorder } from './latency-table.js';

/** No request of a load client waits longer than this: a hung request is recorded as unanswered. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface LoadAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** An answer kept for the report: what went wrong, with the request id to find it in the server's log. */
export interface Problem {
  operation: string;
  status: number;
  requestId: string;
  body: string;
}

function loginBody(user: string, password: string, project: string): string {
  return JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, scope: { project: { name: project, domain: { name: 'Default' } } } } });
}

/**
 * One tenant's API client in a load test: every request it sends is timed and recorded under the
 * operation's name, whatever the answer; 5xx answers and requests without an answer are kept
 * as problems. It logs in again (a new token) when told to, as a long-running client does.
 */
export class LoadClient {
  token = '';
  projectId = '';

  constructor(
    readonly base: string,
    readonly user: string,
    readonly password: string,
    readonly project: string,
    private readonly recorder: LatencyRecorder,
    private readonly problems: Problem[],
    /** The first answer's body for each operation and refusal status (4xx), to say what was refused and why. */
    private readonly refusals = new Map<string, string>(),
  ) {}

  /** Issues a token for the client's user and project and uses it from now on. */
  async issueToken(): Promise<LoadAnswer> {
    const answer = await this.send('POST /v3/auth/tokens', `${this.base}/v3/auth/tokens`, 'POST', loginBody(this.user, this.password, this.project));
    if (answer.status === 201) {
      this.token = answer.headers.get('x-subject-token') ?? '';
      this.projectId = answer.body.token.project.id;
    }
    return answer;
  }

  /** A request under /v1.0/{project}, recorded as `operation`. */
  v1(operation: string, method: string, path: string, body?: unknown): Promise<LoadAnswer> {
    return this.send(operation, `${this.base}/v1.0/${this.projectId}${path}`, method, body === undefined ? undefined : JSON.stringify(body));
  }

  private async send(operation: string, url: string, method: string, body: string | undefined): Promise<LoadAnswer> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (this.token) headers['x-auth-token'] = this.token;
    const started = performance.now();
    try {
      const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await response.text();
      const ms = performance.now() - started;
      this.recorder.record(operation, ms, response.status);
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: kept as text, which a problem report shows.
      }
      const key = `${operation} ${response.status}`;
      if (response.status >= 400 && response.status < 500 && !this.refusals.has(key)) this.refusals.set(key, text.slice(0, 300));
      if (response.status >= 500) this.problems.push({ operation, status: response.status, requestId: response.headers.get('x-openstack-request-id') ?? '', body: text.slice(0, 500) });
      return { status: response.status, body: parsed, headers: response.headers };
    } catch (error) {
      this.recorder.record(operation, performance.now() - started, 0);
      this.problems.push({ operation, status: 0, requestId: '', body: String(error) });
      return { status: 0, body: undefined, headers: new Headers() };
    }
  }
}

/** Something a tenant does, of one or a few requests; `weight` is how often it is picked relative to the others. */
export interface LoadOperation {
  name: string;
  weight: number;
  run(client: LoadClient, clientIndex: number, round: number): Promise<void>;
}

export interface LoadRun {
  clients: LoadClient[];
  operations: LoadOperation[];
  /** Clients stop starting operations at this time (Date.now() clock). */
  untilMs: number;
  /** A pause between a client's operations, drawn uniformly from [min, max] ms: a tenant's think time. */
  thinkMs: [number, number];
  /** A bound on each client's operations, besides the time. */
  maxRoundsPerClient: number;
}

/** A deterministic pseudo-random sequence (mulberry32), so runs pick the same operations in the same order. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs every client until the time or its round bound is up; resolves with the rounds each ran. */
export async function runLoad(load: LoadRun): Promise<number[]> {
  const total = load.operations.reduce((sum, op) => sum + op.weight, 0);
  const pick = (r: number) => {
    let left = r * total;
    for (const op of load.operations) {
      left -= op.weight;
      if (left < 0) return op;
    }
    return load.operations.at(-1)!;
  };
  const [minThink, maxThink] = load.thinkMs;
  return Promise.all(
    load.clients.map(async (client, index) => {
      const random = seededRandom(index + 1);
      let round = 0;
      while (round < load.maxRoundsPerClient && Date.now() < load.untilMs) {
        await pick(random()).run(client, index, round);
        round += 1;
        await new Promise((resolve) => setTimeout(resolve, minThink + random() * (maxThink - minThink)));
      }
      return round;
    }),
  );
}
