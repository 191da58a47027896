import type { ApiClient } from './http-client.js';
import { run } from './processes.js';

/** The application account the MariaDB test instances are created with. */
export const APP = { user: 'app', password: 'App-Secret-1', database: 'appdb' } as const;

/** The `mariadb` command-line client over TCP to an instance's address (password undefined: none sent). */
export function mariadbClient(host: string, user: string, password: string | undefined, sql: string, extra: string[] = []) {
  return run('mariadb', ['--no-defaults', '-h', host, '-P', '3306', '-u', user, ...(password === undefined ? [] : [`--password=${password}`]), '--default-character-set=utf8mb4', '--batch', '--skip-column-names', ...extra, '-e', sql]);
}

/** As the application account. */
export function asApp(host: string, sql: string, extra: string[] = []) {
  return mariadbClient(host, APP.user, APP.password, sql, extra);
}

/** Creates a mysql instance with the application database and account, and waits until it is ACTIVE. */
export async function createAppInstance(api: ApiClient, name: string, flavorRef: string, extra: object = {}): Promise<{ id: string; ip: string; view: any }> {
  const created = await api.call('POST', '/instances', {
    instance: {
      name,
      flavorRef,
      volume: { size: 1 },
      datastore: { type: 'mysql', version: '10.11' },
      databases: [{ name: APP.database }],
      users: [{ name: APP.user, password: APP.password, databases: [{ name: APP.database }] }],
      ...extra,
    },
  });
  if (created.status !== 200) throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  const view = await api.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR']);
  if (view.status !== 'ACTIVE') throw new Error(`${name} did not become ACTIVE: ${JSON.stringify(view)}`);
  return { id: view.id, ip: view.ip[0], view };
}
