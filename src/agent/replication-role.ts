import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomic-file.js';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { ReplicationSource, type ReplicationRole } from './replication-protocol.js';

const RoleSchema = Type.Union([Type.Object({ role: Type.Literal('source') }), Type.Object({ role: Type.Literal('fenced') }), Type.Object({ role: Type.Literal('replica'), source: ReplicationSource })]);

/** A replica's role written before the retainer had its name kept it as the source's `slot`. */
function renamed(parsed: unknown): unknown {
  const source = (parsed as { source?: unknown } | null)?.source;
  if (typeof source !== 'object' || source === null || !('slot' in source) || 'retainer' in source) return parsed;
  const { slot, ...rest } = source as { slot: unknown };
  return { ...(parsed as object), source: { ...rest, retainer: slot } };
}

/** The engine's replication role, kept on disk: a restarted agent starts the engine in the same role. */
export class RoleFile {
  constructor(private readonly path: string) {}

  /** No file: a source (every instance starts as one). A file that cannot be read: fenced, the safe side. */
  read(): ReplicationRole {
    if (!existsSync(this.path)) return { role: 'source' };
    try {
      const parsed = renamed(JSON.parse(readFileSync(this.path, 'utf8')));
      return Value.Check(RoleSchema, parsed) ? parsed : { role: 'fenced' };
    } catch {
      return { role: 'fenced' };
    }
  }

  /** Mode 0600: a replica's role holds the password it logs in to its source with. */
  write(role: ReplicationRole): void {
    writeFileAtomic(this.path, JSON.stringify(role), 0o600);
  }
}
