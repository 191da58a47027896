import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomic-file.js';
import type { ReplicationRole } from './replication-protocol.js';

/** The engine's replication role, kept on disk: a restarted agent starts the engine in the same role. */
export class RoleFile {
  constructor(private readonly path: string) {}

  read(): ReplicationRole {
    if (!existsSync(this.path)) return { role: 'source' };
    const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as ReplicationRole;
    return ['source', 'fenced', 'replica'].includes(parsed.role) ? parsed : { role: 'fenced' };
  }

  /** Mode 0600: a replica's role holds the password it logs in to its source with. */
  write(role: ReplicationRole): void {
    writeFileAtomic(this.path, JSON.stringify(role), 0o600);
  }
}
