import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFor } from '../compute/local/packet-filter.js';
import { processesUsing } from '../compute/local/processes.js';

/** The server's packet filter table, if the kernel holds it (none where nft is missing). */
function packetFilterTables(instances: string): string[] {
  try {
    const table = tableFor(instances);
    return execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(`ip ${table}`) ? [table] : [];
  } catch {
    return [];
  }
}

/** What an instance could leave behind under a data folder: for asserting that nothing is. */
export function leftovers(dataDir: string): { folders: string[]; mounts: string[]; processes: number[]; rules: string[] } {
  const instances = join(dataDir, 'instances');
  return {
    folders: existsSync(instances) ? readdirSync(instances) : [],
    mounts: readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .filter((line) => line.includes(dataDir)),
    processes: processesUsing(instances),
    rules: packetFilterTables(instances),
  };
}
