import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processesUsing } from '../compute/local/processes.js';

/** What an instance could leave behind under a data folder: for asserting that nothing is. */
export function leftovers(dataDir: string): { folders: string[]; mounts: string[]; processes: number[] } {
  const instances = join(dataDir, 'instances');
  return {
    folders: existsSync(instances) ? readdirSync(instances) : [],
    mounts: readFileSync('/proc/mounts', 'utf8').split('\n').filter((line) => line.includes(dataDir)),
    processes: processesUsing(instances),
  };
}
