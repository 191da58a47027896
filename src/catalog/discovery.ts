import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

import type { VersionProbe } from './descriptor.js';

export interface InstalledVersion {
  /** The version name offered in the API, e.g. "10.11" or "15". */
  name: string;
  /** What the engine reported, e.g. "10.11.19". */
  full: string;
  executable: string;
}

/** Expands a path whose segments may be `*`; only existing paths are returned. */
export function expandPath(pattern: string): string[] {
  const segments = pattern.split('/').filter((s) => s !== '');
  let paths = [''];
  for (const segment of segments) {
    const next: string[] = [];
    for (const base of paths) {
      if (segment === '*') {
        let names: string[] = [];
        try {
          names = readdirSync(base || '/');
        } catch {
          names = [];
        }
        for (const name of names.sort()) next.push(`${base}/${name}`);
      } else {
        next.push(`${base}/${segment}`);
      }
    }
    paths = next;
  }
  return paths.filter((p) => existsSync(p));
}

function run(executable: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(executable, args, { timeout: 5000 }, (err, stdout, stderr) => resolve(err ? '' : `${stdout}\n${stderr}`));
  });
}

/** Asks each installed executable of a probe for its version. */
export async function discoverVersions(probe: VersionProbe): Promise<InstalledVersion[]> {
  const pattern = new RegExp(probe.pattern);
  const found = new Map<string, InstalledVersion>();
  for (const candidate of probe.executables) {
    for (const executable of expandPath(candidate)) {
      const match = pattern.exec(await run(executable, probe.args));
      const full = match?.[1];
      const name = match?.[2];
      if (full && name && !found.has(name)) found.set(name, { name, full, executable });
    }
  }
  return [...found.values()];
}
