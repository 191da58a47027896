import { ApiRefusal, ClientError, EXIT } from './errors.js';
import { readSession, type StoredSession } from './session-file.js';

const REQUEST_TIMEOUT_MS = 60_000;

/** Password credentials as the OpenStack tools read them from OS_* variables. */
export interface PasswordCredentials {
  authUrl: string;
  username: string;
  password: string;
  projectName?: string;
  projectId?: string;
  userDomain: string;
  projectDomain: string;
}

export interface IssuedToken {
  token: string;
  expiresAt: string;
  projectId: string;
  projectName: string;
  /** The Trove v1.0 endpoint of the token's project, from the service catalog. */
  endpoint: string;
}

function credentialsFromEnv(env: NodeJS.ProcessEnv): PasswordCredentials | undefined {
  if (!env.OS_AUTH_URL || !env.OS_USERNAME || !env.OS_PASSWORD) return undefined;
  return {
    authUrl: env.OS_AUTH_URL,
    username: env.OS_USERNAME,
    password: env.OS_PASSWORD,
    projectName: env.OS_PROJECT_NAME || env.OS_TENANT_NAME || undefined,
    projectId: env.OS_PROJECT_ID || env.OS_TENANT_ID || undefined,
    userDomain: env.OS_USER_DOMAIN_NAME || 'Default',
    projectDomain: env.OS_PROJECT_DOMAIN_NAME || 'Default',
  };
}

/** Turns a failed fetch into a line that says where the client tried to go and why it could not. */
function unreachable(url: string, err: unknown): ClientError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = (err as Error).name === 'TimeoutError' ? `no answer in ${REQUEST_TIMEOUT_MS / 1000} s` : (cause?.code ?? cause?.message ?? (err as Error).message);
  return new ClientError(`cannot reach ${new URL(url).origin} (${why}): is trove serve running there?`, EXIT.unreachable);
}

/** The message of a Trove fault body (`{"badRequest": {"message": …}}`) or a Keystone error. */
function faultMessage(status: number, text: string): string {
  try {
    // A loose shape: the message is used only once it is seen to be a string.
    const body = JSON.parse(text) as Record<string, { message?: unknown } | undefined>;
    const first = Object.values(body)[0];
    if (first && typeof first.message === 'string') return first.message;
  } catch {
    // Not JSON: fall through to the status line.
  }
  return text.trim() ? `HTTP ${status}: ${text.trim().slice(0, 200)}` : `HTTP ${status}`;
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw unreachable(url, err);
  }
}

export async function issueToken(credentials: PasswordCredentials): Promise<IssuedToken> {
  const project = credentials.projectId ? { id: credentials.projectId } : credentials.projectName ? { name: credentials.projectName, domain: { name: credentials.projectDomain } } : undefined;
  if (!project) throw new ClientError('name the project: set OS_PROJECT_NAME (or OS_PROJECT_ID), or give --project', EXIT.auth);
  const url = `${credentials.authUrl.replace(/\/+$/, '')}/auth/tokens`;
  const response = await send(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: credentials.username, domain: { name: credentials.userDomain }, password: credentials.password } } },
        scope: { project },
      },
    }),
  });
  const text = await response.text();
  if (response.status === 401) throw new ClientError(`the identity service refused ${credentials.username}: ${faultMessage(401, text)}`, EXIT.auth);
  if (!response.ok) throw new ApiRefusal(response.status, faultMessage(response.status, text));
  // Keystone's token answer, from the server the user named: its catalog is looked into with optional chaining below.
  const body = JSON.parse(text) as {
    token: { expires_at: string; project: { id: string; name: string }; catalog?: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> };
  };
  const endpoint = body.token.catalog?.find((s) => s.type === 'database')?.endpoints.find((e) => e.interface === 'public')?.url;
  if (!endpoint) throw new ClientError(`the token from ${credentials.authUrl} names no public database endpoint in its catalog`, EXIT.auth);
  return { token: response.headers.get('x-subject-token') ?? '', expiresAt: body.token.expires_at, projectId: body.token.project.id, projectName: body.token.project.name, endpoint: endpoint.replace(/\/+$/, '') };
}

export async function revokeToken(authUrl: string, token: string): Promise<void> {
  await send(`${authUrl.replace(/\/+$/, '')}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
}

/** A page of a Trove list: its items under `key`, and the `next` link when there is more. */
interface Page {
  links?: Array<{ rel: string; href: string }>;
  [key: string]: unknown;
}

/** An authenticated Trove v1.0 session: requests relative to the project's endpoint. */
export class TroveApi {
  constructor(
    readonly endpoint: string,
    private readonly token: string,
    readonly projectId: string,
  ) {}

  /**
   * OS_* variables when they hold a password (what scripts and the OpenStack tools use), else the
   * token `trove login` stored.
   */
  static async connect(env: NodeJS.ProcessEnv = process.env): Promise<TroveApi> {
    const credentials = credentialsFromEnv(env);
    if (credentials) {
      const issued = await issueToken(credentials);
      return new TroveApi(issued.endpoint, issued.token, issued.projectId);
    }
    const stored: StoredSession | undefined = readSession();
    if (!stored) throw new ClientError('not logged in: run `trove login`, or set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME', EXIT.auth);
    if (Date.parse(stored.expires_at) <= Date.now()) throw new ClientError(`your login to ${stored.auth_url} expired at ${stored.expires_at}: run \`trove login\` again`, EXIT.auth);
    return new TroveApi(stored.endpoint, stored.token, stored.project_id);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = path.startsWith('http') ? path : `${this.endpoint}${path}`;
    const headers: Record<string, string> = { 'X-Auth-Token': this.token, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await send(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (response.status === 401) throw new ClientError(`the API refused the token (${faultMessage(401, text)}): log in again`, EXIT.auth);
    if (!response.ok) throw new ApiRefusal(response.status, faultMessage(response.status, text));
    // The Trove API's views, as its server shapes them: the CLI prints what it gets and checks no more than a client of a trusted API does.
    return (text ? JSON.parse(text) : {}) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /**
   * A list as the user asked for it: with a limit or a marker, the one page those name; without,
   * every page. `filters` are further query parameters.
   */
  async listPaged<T>(path: string, key: string, page: { limit?: number; marker?: string }, filters: Record<string, string> = {}): Promise<T[]> {
    const query = new URLSearchParams({ ...filters, ...(page.limit ? { limit: String(page.limit) } : {}), ...(page.marker ? { marker: page.marker } : {}) });
    const url = query.size > 0 ? `${path}?${query}` : path;
    if (page.limit === undefined && page.marker === undefined) return this.listAll<T>(url, key);
    return ((await this.get<Page>(url))[key] as T[] | undefined) ?? [];
  }

  /** Every item of a paged list, following `next` links until the last page. */
  async listAll<T>(path: string, key: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const page: Page = await this.get<Page>(next);
      items.push(...((page[key] as T[] | undefined) ?? []));
      next = page.links?.find((l) => l.rel === 'next')?.href;
    }
    return items;
  }
}
