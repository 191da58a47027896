import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentConfig } from '../../agent/protocol.js';
import { ROLE_FILE } from '../../agent/replication-protocol.js';
import type { Logger } from '../../common/log.js';
import { stableUuid } from '../../common/ids.js';
import type { AgentProcessState, ComputeDriver, Exposure, Placement, PlacementSpec } from '../driver.js';
import { writeFileAtomic } from '../../common/atomic-file.js';
import { applyLimits, cgroupPids, detectLimits, removeLimits, type LimitsKind } from './limits.js';
import { PacketFilter, type ExposedInstance } from './packet-filter.js';
import { alive, signalAndWait, terminate } from '../../common/process-stop.js';
import { commandLine, processesUsing } from './processes.js';
import { OnlineResizeDenied, ensureLoopVolume, growLoopVolume, growUnmountedVolume, isMounted, loopVolumesAvailable, unmountVolume } from './volume.js';
import { parseChecked, parseOwn } from '../../common/json.js';

/** The agent as one bundled file (see agent/main.ts): it starts in a third of the time. */
const AGENT_MAIN = fileURLToPath(new URL('../../agent/bundle.mjs', import.meta.url));

export interface LocalDriverOptions {
  /** Where instance folders live: <data_dir>/instances. */
  root: string;
  /** false forces plain folders even where loop volumes would work. */
  loopVolumes: boolean;
  logLevel: string;
}

/**
 * Instances on this host: a folder each, a loop-mounted ext4 volume (or a plain folder), cgroup
 * limits where the host allows, and a detached agent process that outlives `trove serve`.
 */
export class LocalDriver implements ComputeDriver {
  readonly name = 'local';
  private readonly limits: LimitsKind;
  private readonly loop: boolean;
  private readonly filter: PacketFilter;

  constructor(
    private readonly options: LocalDriverOptions,
    private readonly log: Logger,
  ) {
    this.limits = detectLimits();
    this.loop = options.loopVolumes && loopVolumesAvailable();
    this.filter = new PacketFilter(options.root, join(options.root, '..', 'route_localnet.before'));
    mkdirSync(options.root, { recursive: true });
    mkdirSync(join(options.root, '..', 'templates'), { recursive: true });
    // Engines run as unprivileged users: they must be able to pass through to their folder.
    for (const dir of [join(options.root, '..'), options.root, join(options.root, '..', 'templates')]) chmodSync(dir, statSync(dir).mode | 0o111);
  }

  folder(instanceId: string): string {
    return join(this.options.root, instanceId);
  }

  private exposureFile(instanceId: string): string {
    return join(this.folder(instanceId), 'exposure.json');
  }

  private exposureOf(instanceId: string): Exposure | undefined {
    const file = this.exposureFile(instanceId);
    return existsSync(file) ? parseOwn<Exposure>(readFileSync(file, 'utf8')) : undefined;
  }

  /** Every instance's exposure, from their folders: what the packet filter holds. */
  private exposures(): ExposedInstance[] {
    if (!existsSync(this.options.root)) return [];
    return readdirSync(this.options.root).flatMap((id) => {
      const exposure = this.exposureOf(id);
      return exposure ? [{ instanceId: id, ...exposure }] : [];
    });
  }

  private needsRules(exposure: Exposure): boolean {
    return exposure.public !== undefined || exposure.allowedCidrs.length > 0;
  }

  async expose(instanceId: string, exposure: Exposure): Promise<void> {
    const before = this.exposureOf(instanceId);
    // Kept with the instance: the rules are rendered again from it after a reboot, and go with the folder.
    writeFileAtomic(this.exposureFile(instanceId), JSON.stringify(exposure), 0o600);
    if (this.needsRules(exposure) || (before && this.needsRules(before))) await this.filter.apply(this.exposures());
    this.log.info({ instance: instanceId, public: exposure.public, allowed_cidrs: exposure.allowedCidrs }, 'access applied');
  }

  agentSocket(instanceId: string): string {
    return join(this.folder(instanceId), 'agent.sock');
  }

  private image: string | undefined;

  /** The local guest image is the installed engines and the agent build: its id changes with the build. */
  imageId(): string {
    this.image ??= stableUuid(`local-image:${existsSync(AGENT_MAIN) ? createHash('sha256').update(readFileSync(AGENT_MAIN)).digest('hex') : 'unbuilt'}`);
    return this.image;
  }

  async rebuild(spec: PlacementSpec): Promise<void> {
    const folder = this.folder(spec.instanceId);
    const pids = new Set([...processesUsing(folder), ...cgroupPids(this.limits, spec.instanceId)]);
    if (pids.size > 0) await terminate([...pids], 10_000);
    // What the old guest generated goes; the volume, the replication role, the access rules and the logs stay.
    for (const name of ['run', 'agent.json', 'agent-state.json', 'agent.pid', 'agent.sock']) rmSync(join(folder, name), { recursive: true, force: true });
    await this.place(spec);
  }

  async place(spec: PlacementSpec): Promise<Placement> {
    const folder = this.folder(spec.instanceId);
    mkdirSync(folder, { recursive: true });
    // Set explicitly: the server's umask may be stricter, and the engine's user must pass through.
    chmodSync(folder, 0o711);
    const volumeDir = join(folder, 'volume');
    if (this.loop) await ensureLoopVolume(join(folder, 'volume.img'), volumeDir, spec.volumeGb);
    else mkdirSync(volumeDir, { recursive: true });
    chmodSync(volumeDir, 0o711);
    const config: AgentConfig = {
      instance_id: spec.instanceId,
      engine: spec.engine,
      engine_version: spec.engineVersion,
      address: spec.address,
      port: spec.port,
      volume_dir: volumeDir,
      volume_mounted: this.loop,
      volume_size_bytes: spec.volumeGb * 1024 ** 3,
      run_dir: join(folder, 'run'),
      log_dir: join(folder, 'log'),
      template_dir: join(this.options.root, '..', 'templates'),
    };
    writeFileAtomic(join(folder, 'agent.json'), JSON.stringify(config, null, 2), 0o600);
    await this.ensureAgent(spec);
    return { agentSocket: this.agentSocket(spec.instanceId), volumeMounted: this.loop, limits: this.limits };
  }

  private agentPid(instanceId: string): number | undefined {
    const file = join(this.folder(instanceId), 'agent.pid');
    const recorded = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
    if (Number.isInteger(recorded) && recorded > 0 && alive(recorded)) return recorded;
    // A server killed between starting an agent and writing its pid left an agent that runs
    // unrecorded: a second one would take its socket while the first goes on preparing.
    const config = join(this.folder(instanceId), 'agent.json');
    const running = processesUsing(this.folder(instanceId)).find((pid) => commandLine(pid).includes(AGENT_MAIN) && commandLine(pid).includes(config));
    if (running !== undefined) writeFileAtomic(file, String(running), 0o644);
    return running;
  }

  async ensureAgent(spec: PlacementSpec): Promise<AgentProcessState> {
    const folder = this.folder(spec.instanceId);
    if (!existsSync(join(folder, 'agent.json'))) return 'missing';
    if (this.agentPid(spec.instanceId) !== undefined) return 'running';
    if (this.loop && existsSync(join(folder, 'volume.img')) && !isMounted(join(folder, 'volume'))) {
      await ensureLoopVolume(join(folder, 'volume.img'), join(folder, 'volume'), spec.volumeGb);
    }
    const out = openSync(join(folder, 'agent.log'), 'a', 0o600);
    // Detached in a session of its own: killing `trove serve` must not take instances with it.
    const child = spawn(process.execPath, [AGENT_MAIN, '--config', join(folder, 'agent.json'), '--log-level', this.options.logLevel], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child.unref();
    if (child.pid === undefined) throw new Error('could not start the guest agent');
    writeFileAtomic(join(folder, 'agent.pid'), String(child.pid), 0o644);
    if (this.limits !== 'none' && !applyLimits(this.limits, spec.instanceId, child.pid, spec.ramMb, spec.vcpus)) {
      this.log.warn({ instance: spec.instanceId }, 'could not apply cgroup limits');
    }
    this.log.info({ instance: spec.instanceId, pid: child.pid }, 'agent started');
    // A host that lost its agents (a reboot) lost its packet filter rules too.
    const exposure = this.exposureOf(spec.instanceId);
    if (exposure && this.needsRules(exposure)) await this.filter.apply(this.exposures());
    return 'restarted';
  }

  private recordSize(spec: PlacementSpec): AgentConfig {
    const file = join(this.folder(spec.instanceId), 'agent.json');
    const config = parseChecked(AgentConfig, readFileSync(file, 'utf8'), file);
    // The agent reads the size of a plain-folder volume from its config at start.
    writeFileAtomic(file, JSON.stringify({ ...config, volume_size_bytes: spec.volumeGb * 1024 ** 3 }, null, 2), 0o600);
    return config;
  }

  async growVolume(spec: PlacementSpec): Promise<'grown' | 'offline-needed'> {
    const config = this.recordSize(spec);
    if (!config.volume_mounted) return 'grown';
    // Left unmounted by an interrupted offline growth: finish that way.
    if (!isMounted(join(this.folder(spec.instanceId), 'volume'))) return 'offline-needed';
    try {
      await growLoopVolume(join(this.folder(spec.instanceId), 'volume.img'), spec.volumeGb);
      return 'grown';
    } catch (err) {
      if (err instanceof OnlineResizeDenied) return 'offline-needed';
      throw err;
    }
  }

  async growVolumeOffline(spec: PlacementSpec): Promise<void> {
    const folder = this.folder(spec.instanceId);
    await growUnmountedVolume(join(folder, 'volume.img'), join(folder, 'volume'), spec.volumeGb);
    await ensureLoopVolume(join(folder, 'volume.img'), join(folder, 'volume'), spec.volumeGb);
  }

  async ensureVolume(spec: PlacementSpec): Promise<void> {
    const folder = this.folder(spec.instanceId);
    if (this.loop && existsSync(join(folder, 'volume.img'))) await ensureLoopVolume(join(folder, 'volume.img'), join(folder, 'volume'), spec.volumeGb);
  }

  async updateLimits(spec: PlacementSpec): Promise<void> {
    const pid = this.agentPid(spec.instanceId);
    if (this.limits === 'none' || pid === undefined) return;
    if (!applyLimits(this.limits, spec.instanceId, pid, spec.ramMb, spec.vcpus)) throw new Error('could not update the cgroup limits');
  }

  async fence(instanceId: string): Promise<void> {
    const folder = this.folder(instanceId);
    if (!existsSync(folder)) return;
    // The role first: an agent started between the two steps must already find it.
    writeFileAtomic(join(folder, ROLE_FILE), JSON.stringify({ role: 'fenced' }), 0o600);
    const pids = new Set([...processesUsing(folder), ...cgroupPids(this.limits, instanceId)]);
    await signalAndWait([...pids], 'SIGKILL', 5000);
  }

  async remove(instanceId: string): Promise<void> {
    const folder = this.folder(instanceId);
    const exposure = this.exposureOf(instanceId);
    if (exposure && this.needsRules(exposure)) {
      // The rules go first: the address is about to be released for another instance.
      rmSync(this.exposureFile(instanceId));
      await this.filter.apply(this.exposures());
    }
    const pids = new Set([...processesUsing(folder), ...cgroupPids(this.limits, instanceId)]);
    if (pids.size > 0) await terminate([...pids], 10_000);
    await unmountVolume(join(folder, 'volume'));
    removeLimits(this.limits, instanceId);
    rmSync(folder, { recursive: true, force: true });
  }
}
