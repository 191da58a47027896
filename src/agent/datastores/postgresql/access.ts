import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import { parseOwn } from '../../../common/json.js';
import type { GuestAccess } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { pathsOf, renderHba } from './config-file.js';
import { runSql } from './sql.js';

export function allowedCidrsOf(config: AgentConfig): string[] {
  const file = pathsOf(config).accessFile;
  // The agent writes this file itself, from networks the protocol already checked.
  return existsSync(file) ? parseOwn<string[]>(readFileSync(file, 'utf8')) : [];
}

/** pg_hba.conf lets only the allowed networks log in; a reload puts it in force for new connections. */
export const postgresqlAccess: GuestAccess = {
  async apply(config, allowedCidrs, live) {
    const paths = pathsOf(config);
    writeFileAtomic(paths.accessFile, JSON.stringify(allowedCidrs), 0o644);
    writeFileAtomic(paths.hbaFile, renderHba(config, allowedCidrs), 0o644);
    if (live) await runSql(paths.socketDir, config.port, 'SELECT pg_reload_conf()');
  },
};
