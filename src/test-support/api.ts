import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server.js';
import { createServices, type Services } from '../app/services.js';
import type { VersionDiscoverer } from '../catalog/registry.js';
import { createLogger } from '../common/log.js';
import { loadSettings } from '../settings/load.js';

export interface TestApi {
  app: FastifyInstance;
  services: Services;
  admin: { token: string; projectId: string };
  demo: { token: string; projectId: string };
  close(): Promise<void>;
}

/** Describes a host with MariaDB 10.11 and PostgreSQL 15 installed, for tests of the control plane. */
const describedHost: VersionDiscoverer = async (probe) => {
  if (probe.pattern.includes('MariaDB')) return [{ name: '10.11', full: '10.11.19', executable: '/usr/sbin/mariadbd' }];
  if (probe.pattern.includes('PostgreSQL')) return [{ name: '15', full: '15.18', executable: '/usr/lib/postgresql/15/bin/postgres' }];
  return [];
};

async function login(app: FastifyInstance, user: string, password: string, project: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/v3/auth/tokens',
    payload: { auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, scope: { project: { name: project, domain: { name: 'Default' } } } } },
  });
  if (response.statusCode !== 201) throw new Error(`login failed: ${response.body}`);
  return { token: String(response.headers['x-subject-token']), projectId: response.json().token.project.id as string };
}

/**
 * A Trove API on a fresh SQLite store in a temporary folder, with an admin and a demo user
 * logged in. Settings may be overridden as a config file would (TOML tree as an object).
 */
export async function startTestApi(settingsTree: Record<string, unknown> = {}, discover: VersionDiscoverer = describedHost): Promise<TestApi> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trove-test-api-'));
  const settings = loadSettings({ env: {}, overrides: { data_dir: dataDir } });
  for (const [section, values] of Object.entries(settingsTree)) {
    const current = (settings as unknown as Record<string, unknown>)[section];
    (settings as unknown as Record<string, unknown>)[section] = typeof current === 'object' && !Array.isArray(current) ? { ...current, ...(values as object) } : values;
  }
  const services = await createServices(settings, { discover });
  await services.identity.bootstrap('admin-password');
  await services.identity.createProject('demo');
  await services.identity.createUser('demo', 'demo', 'demo-password', 'member');
  const app = await buildApi(services, { logger: createLogger('silent') });
  return {
    app,
    services,
    admin: await login(app, 'admin', 'admin-password', 'admin'),
    demo: await login(app, 'demo', 'demo-password', 'demo'),
    close: async () => {
      await app.close();
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
