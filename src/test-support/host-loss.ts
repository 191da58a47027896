import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An instance's host is gone: its agent and engine killed with SIGKILL, and its agent's config
 * moved away so that nothing starts them again. Returns what brings the host back.
 */
export function loseHost(instanceFolder: string, enginePidFile: string): () => void {
  for (const file of ['agent.pid', enginePidFile]) {
    try {
      process.kill(Number(readFileSync(join(instanceFolder, file), 'utf8').split('\n')[0]!.trim()), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const config = join(instanceFolder, 'agent.json');
  renameSync(config, `${config}.away`);
  return () => renameSync(`${config}.away`, config);
}
