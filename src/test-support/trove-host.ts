import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../common/log.js';
import { LocalDriver } from '../compute/local/local-driver.js';
import { defaultClaimsDir, releaseClaimsOf } from '../compute/local/host-address-claims.js';
import { ApiClient } from './http-client.js';
import { startServe, trove, type RunningServer } from './processes.js';

/** What test hosts run with unless told otherwise: fast leases and reconciles, and no rate limits for tests that poll hard. */
export const DEFAULT_TOML = '[tasks]\nlease_seconds = 5\nreconcile_seconds = 1\npoll_ms = 50\n\n[rate_limits]\nGET = 0\nPOST = 0\nPUT = 0\nPATCH = 0\nDELETE = 0\n';

/** A user of a test host: its name, project, password and role on that project. */
export interface HostAccount {
  name: string;
  project: string;
  password: string;
  role: 'admin' | 'member' | 'reader';
}

export interface TroveHostOptions {
  /** Settings after the address pool; DEFAULT_TOML when empty. */
  toml?: string;
  /** The umask `trove serve` runs with. */
  umask?: string;
  /** Users beyond admin and demo; their projects are created as needed. */
  accounts?: HostAccount[];
  /** Compute settings beside the address pool (public_address…), as TOML lines. */
  compute?: string;
  /** Environment for `trove serve` beside the test defaults (TROVE_LOG_LEVEL…). */
  env?: NodeJS.ProcessEnv;
}

export interface TroveHost {
  dataDir: string;
  server: RunningServer;
  /** Every user of the host with its password: admin, demo, then the extra accounts. */
  accounts: HostAccount[];
  demo: ApiClient;
  admin: ApiClient;
  /** Stops the server and starts it again on the same port and data (as after a crash), with `env` added to its environment. */
  restart(env?: NodeJS.ProcessEnv): Promise<void>;
  /** Whether the server process ends by itself within `timeoutMs` (a test hook that kills it). */
  exitsWithin(timeoutMs: number): Promise<boolean>;
  /** Kills the server with SIGKILL, as a crash would. */
  crash(): void;
  /** The end of every instance's agent log: what a failing test prints to say why. */
  agentLogs(chars?: number): string;
  close(): Promise<void>;
}

function agentLogsOf(dataDir: string, chars: number): string {
  const instances = join(dataDir, 'instances');
  if (!existsSync(instances)) return '';
  return readdirSync(instances)
    .filter((id) => existsSync(join(instances, id, 'agent.log')))
    .map((id) => `--- agent ${id}\n${readFileSync(join(instances, id, 'agent.log'), 'utf8').slice(-chars)}`)
    .join('\n');
}

/**
 * A `trove serve` of its own (data folder, address pool, fast leases) with an admin and a demo
 * user, and any further accounts asked for. close() stops it and removes whatever instances are
 * left, so tests never leak engines. The second argument is either the extra TOML or the options.
 */
export async function startTroveHost(addressPool: string, extraTomlOrOptions: string | TroveHostOptions = '', umaskArgument?: string): Promise<TroveHost> {
  const options: TroveHostOptions = typeof extraTomlOrOptions === 'string' ? { toml: extraTomlOrOptions, umask: umaskArgument } : extraTomlOrOptions;
  const umask = options.umask;
  const dataDir = mkdtempSync(join(tmpdir(), 'trove-test-host-'));
  const baseToml = `[compute]\naddress_pool = "${addressPool}"\n${options.compute ?? ''}`;
  writeFileSync(join(dataDir, 'trove.toml'), `${baseToml}\n${options.toml || DEFAULT_TOML}`);
  const env = { TROVE_DATA_DIR: dataDir };
  const accounts: HostAccount[] = [{ name: 'admin', project: 'admin', password: 'admin-secret', role: 'admin' }, { name: 'demo', project: 'demo', password: 'demo-secret', role: 'member' }, ...(options.accounts ?? [])];
  const commands = [['manage', 'bootstrap', '--admin-password', 'admin-secret']];
  const projects = new Set(['admin']);
  for (const account of accounts.slice(1)) {
    if (!projects.has(account.project)) commands.push(['manage', 'project-create', account.project]);
    projects.add(account.project);
    commands.push(['manage', 'user-create', account.name, '--project', account.project, '--password', account.password, '--role', account.role]);
  }
  for (const args of commands) {
    const result = await trove(args, env);
    if (result.code !== 0) throw new Error(`trove ${args.join(' ')}: ${result.stderr}`);
  }
  let server = await startServe(dataDir, options.env ?? {}, undefined, umask);
  const host: TroveHost = {
    dataDir,
    server,
    accounts,
    demo: await ApiClient.login(server.url, 'demo', 'demo-secret', 'demo'),
    admin: await ApiClient.login(server.url, 'admin', 'admin-secret', 'admin'),
    async restart(env = {}) {
      await server.stop();
      server = await startServe(dataDir, { ...options.env, ...env }, server.port, umask);
      host.server = server;
    },
    async exitsWithin(timeoutMs) {
      const child = server.process;
      if (child.exitCode !== null || child.signalCode !== null) return true;
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
    crash() {
      server.process.kill('SIGKILL');
    },
    agentLogs: (chars = 1500) => agentLogsOf(dataDir, chars),
    async close() {
      if (process.env.TROVE_TEST_DEBUG) console.error(server.output().slice(-6000));
      await server.stop();
      const instances = join(dataDir, 'instances');
      if (existsSync(instances)) {
        if (process.env.TROVE_TEST_DEBUG) console.error(agentLogsOf(dataDir, 4000));
        const driver = new LocalDriver({ root: instances, loopVolumes: true, logLevel: 'warn' }, createLogger('silent'));
        for (const id of readdirSync(instances)) await driver.remove(id);
      }
      releaseClaimsOf(defaultClaimsDir(), dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return host;
}

/** The OS_* environment the OpenStack clients read, for the demo user of a test host. */
export function openstackEnv(host: TroveHost): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: host.dataDir,
    OS_AUTH_URL: `${host.server.url}/v3`,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: 'demo',
    OS_PASSWORD: 'demo-secret',
    OS_PROJECT_NAME: 'demo',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
  };
}
