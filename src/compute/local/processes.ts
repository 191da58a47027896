import { readdirSync, readFileSync } from 'node:fs';

/** A process's command line, its arguments joined by spaces ('' once it has exited). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Processes whose command line names a path inside `folder` (the agent, and its engine). */
export function processesUsing(folder: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.split('\0').some((arg) => arg.includes(`${folder}/`) || arg.endsWith(folder))) pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
