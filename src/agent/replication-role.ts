import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomic-file.js';
import type { ReplicationRole } from './replication-protocol.js';

/** The engine's replication role, kept on disk: a restarted agent starts the engine in the same role. */
export class RoleFile {
  constructor(private readonly path: string) {}

  /** No file: a source (every instance starts as one). A file that cannot be read: fenced, the safe side. */
  read(): ReplicationRole {
    if (!existsSync(this.path)) return { role: 'source' };
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as ReplicationRole;
      if (parsed.role === 'replica' && !parsed.source) return { role: 'fenced' };
      return ['source', 'fenced', 'replica'].includes(parsed.role) ? parsed : { role: 'fenced' };
    } catch {
      return { role: 'fenced' };
    }
  }

  /** Mode 0600: a replica's role holds the password it logs in to its source with. */
  write(role: ReplicationRole): void {
    writeFileAtomic(this.path, JSON.stringify(role), 0o600);
  }
}
