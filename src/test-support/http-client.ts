import { sleep } from '../common/time.js';
/** A caller of a running `trove serve`, logged in as one user: what a script with curl would do. */
export class ApiClient {
  private constructor(
    readonly base: string,
    readonly token: string,
    readonly projectId: string,
  ) {}

  static async login(base: string, user: string, password: string, project: string): Promise<ApiClient> {
    const response = await fetch(`${base}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, scope: { project: { name: project, domain: { name: 'Default' } } } } }),
    });
    if (response.status !== 201) throw new Error(`login of ${user} failed: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { token: { project: { id: string } } };
    return new ApiClient(base, response.headers.get('x-subject-token')!, body.token.project.id);
  }

  /** A request under /v1.0/{project}; `raw` sends a body as is (for malformed input). */
  async call(method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.base}/v1.0/${this.projectId}${path}`, {
      method,
      headers: { 'x-auth-token': this.token, ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Polls an instance until its status is one of `wanted` ('GONE' once deleted); the time being up throws. */
  waitForStatus(id: string, wanted: string[], timeoutMs = 120_000): Promise<any> {
    return this.waitFor('instance', `/instances/${id}`, wanted, timeoutMs);
  }

  /** Polls a backup until its status is one of `wanted` ('GONE' once deleted). */
  waitForBackup(id: string, wanted: string[], timeoutMs = 120_000): Promise<any> {
    return this.waitFor('backup', `/backups/${id}`, wanted, timeoutMs);
  }

  private async waitFor(kind: 'instance' | 'backup', path: string, wanted: string[], timeoutMs: number): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      const response = await this.call('GET', path);
      last = response.status === 404 ? { status: 'GONE' } : response.body[kind];
      if (wanted.includes(last.status)) return last;
      await sleep(100);
    }
    throw new Error(`${path} did not reach ${wanted.join('/')} in ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
  }
}
