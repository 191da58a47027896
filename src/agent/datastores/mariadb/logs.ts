import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { GuestLogs } from '../../datastore.js';
import { AgentRequestError } from '../../errors.js';
import type { AgentConfig } from '../../protocol.js';
import { pathsOf, renderLogsConfig } from './config-file.js';
import { runSql } from './sql.js';

const USER_LOGS = { general: 'general_log', slow_query: 'slow_query_log' } as const;
type UserLog = keyof typeof USER_LOGS;

function enabledLogs(config: AgentConfig): Record<UserLog, boolean> {
  const file = pathsOf(config).logsConfig;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return { general: /^general_log = 1$/m.test(text), slow_query: /^slow_query_log = 1$/m.test(text) };
}

/** Writes the logs include if missing (my.cnf needs it to exist). */
export function ensureLogsConfig(config: AgentConfig): void {
  const file = pathsOf(config).logsConfig;
  if (!existsSync(file)) writeFileAtomic(file, renderLogsConfig({ general: false, slow_query: false }), 0o644);
}

/** MariaDB's general and slow query logs (switchable) and its error log (always on). */
export const mariadbLogs: GuestLogs = {
  async list(config) {
    const paths = pathsOf(config);
    const enabled = enabledLogs(config);
    return [
      { name: 'general', file: paths.logFile('general'), enabled: enabled.general },
      { name: 'slow_query', file: paths.logFile('slow_query'), enabled: enabled.slow_query },
      { name: 'error', file: paths.errorLog, enabled: true },
    ];
  },

  async setEnabled(config, name, enabled) {
    if (!(name in USER_LOGS)) throw new AgentRequestError(400, `Log '${name}' cannot be switched on or off.`);
    const variable = USER_LOGS[name as UserLog];
    await runSql(pathsOf(config).socket, `SET GLOBAL ${variable} = ${enabled ? 'ON' : 'OFF'}`);
    writeFileAtomic(pathsOf(config).logsConfig, renderLogsConfig({ ...enabledLogs(config), [name]: enabled }), 0o644);
  },
};
