import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type LimitsKind = 'cgroup-v1' | 'cgroup-v2' | 'none';

const V1_ROOT = '/sys/fs/cgroup';
const V2_ROOT = '/sys/fs/cgroup';
const GROUP = 'trove';

/** Memory above the flavor's RAM for the agent itself. */
const AGENT_HEADROOM_MB = 128;

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

/** Which cgroup hierarchy this host lets us write to, if any. */
export function detectLimits(): LimitsKind {
  if (process.getuid?.() !== 0) return 'none';
  if (existsSync(join(V2_ROOT, 'cgroup.controllers'))) {
    const controllers = readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8');
    if (controllers.includes('memory') && controllers.includes('cpu')) return 'cgroup-v2';
  }
  if (existsSync(join(V1_ROOT, 'memory', 'tasks')) && existsSync(join(V1_ROOT, 'cpu', 'tasks'))) return 'cgroup-v1';
  return 'none';
}

function v1Dirs(instanceId: string): { memory: string; cpu: string } {
  return { memory: join(V1_ROOT, 'memory', GROUP, instanceId), cpu: join(V1_ROOT, 'cpu', GROUP, instanceId) };
}

function v2Dir(instanceId: string): string {
  return join(V2_ROOT, GROUP, instanceId);
}

/** Puts `pid` (and so its children: the engine) under the flavor's RAM and vCPU limits. */
export function applyLimits(kind: LimitsKind, instanceId: string, pid: number, ramMb: number, vcpus: number): boolean {
  const bytes = String((ramMb + AGENT_HEADROOM_MB) * 1024 * 1024);
  const quota = String(vcpus * 100_000);
  try {
    if (kind === 'cgroup-v1') {
      const dirs = v1Dirs(instanceId);
      mkdirSync(dirs.memory, { recursive: true });
      mkdirSync(dirs.cpu, { recursive: true });
      return (
        tryWrite(join(dirs.memory, 'memory.limit_in_bytes'), bytes) &&
        tryWrite(join(dirs.cpu, 'cpu.cfs_period_us'), '100000') &&
        tryWrite(join(dirs.cpu, 'cpu.cfs_quota_us'), quota) &&
        tryWrite(join(dirs.memory, 'cgroup.procs'), String(pid)) &&
        tryWrite(join(dirs.cpu, 'cgroup.procs'), String(pid))
      );
    }
    if (kind === 'cgroup-v2') {
      tryWrite(join(V2_ROOT, 'cgroup.subtree_control'), '+memory +cpu');
      mkdirSync(join(V2_ROOT, GROUP), { recursive: true });
      tryWrite(join(V2_ROOT, GROUP, 'cgroup.subtree_control'), '+memory +cpu');
      const dir = v2Dir(instanceId);
      mkdirSync(dir, { recursive: true });
      return tryWrite(join(dir, 'memory.max'), bytes) && tryWrite(join(dir, 'cpu.max'), `${quota} 100000`) && tryWrite(join(dir, 'cgroup.procs'), String(pid));
    }
  } catch {
    return false;
  }
  return false;
}

/** Pids still in the instance's cgroups. */
export function cgroupPids(kind: LimitsKind, instanceId: string): number[] {
  const files = kind === 'cgroup-v1' ? [join(v1Dirs(instanceId).memory, 'cgroup.procs')] : kind === 'cgroup-v2' ? [join(v2Dir(instanceId), 'cgroup.procs')] : [];
  return files.flatMap((file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []));
}

/** Removes the instance's cgroups (they must be empty). */
export function removeLimits(kind: LimitsKind, instanceId: string): void {
  const dirs = kind === 'cgroup-v1' ? Object.values(v1Dirs(instanceId)) : kind === 'cgroup-v2' ? [v2Dir(instanceId)] : [];
  for (const dir of dirs) {
    try {
      if (existsSync(dir)) rmdirSync(dir);
    } catch {
      // still busy: the next remove() tries again
    }
  }
}
