import type { GuestLogs } from '../../datastore.js';
import { AgentRequestError } from '../../errors.js';
import { pathsOf } from './config-file.js';
import { runSql } from './sql.js';

/**
 * One log, the server's: 'general' records every statement when on (log_statement = all). The
 * setting goes through ALTER SYSTEM, so it is kept in the cluster across restarts.
 */
export const postgresLogs: GuestLogs = {
  async list(config) {
    let enabled = false;
    try {
      // What the configuration files say (ALTER SYSTEM included), not this unlogged session's value.
      const rows = await runSql(pathsOf(config).socketDir, config.port, "SELECT setting FROM pg_file_settings WHERE name = 'log_statement' AND error IS NULL ORDER BY seqno DESC LIMIT 1");
      enabled = rows[0]?.[0] === 'all';
    } catch {
      // Not running: report it as off.
    }
    return [{ name: 'general', file: pathsOf(config).logFile, enabled }];
  },

  async setEnabled(config, name, enabled) {
    if (name !== 'general') throw new AgentRequestError(400, `Log '${name}' cannot be switched on or off.`);
    await runSql(pathsOf(config).socketDir, config.port, `ALTER SYSTEM SET log_statement = '${enabled ? 'all' : 'none'}'`);
    await runSql(pathsOf(config).socketDir, config.port, 'SELECT pg_reload_conf()');
  },
};
