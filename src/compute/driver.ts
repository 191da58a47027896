/**
 * Where instances run. The control plane asks a driver to place an instance (folder, volume,
 * address, limits, a running agent), to keep its agent alive, and to remove every trace of it.
 */
export interface PlacementSpec {
  instanceId: string;
  /** The agent module to run, from the datastore's descriptor. */
  engine: string;
  /** The datastore version's name ("15"), for engines installed in several versions. */
  engineVersion: string;
  address: string;
  port: number;
  volumeGb: number;
  ramMb: number;
  vcpus: number;
}

/** The private addresses instances get, one each (the local driver leases loopback addresses). */
export interface AddressAllocator {
  /** The instance's address, leasing a free one if it has none yet. */
  lease(instanceId: string): Promise<string>;
  release(instanceId: string): Promise<void>;
}

export interface Placement {
  /** Where the control plane reaches the agent. */
  agentSocket: string;
  volumeMounted: boolean;
  limits: 'cgroup-v1' | 'cgroup-v2' | 'none';
}

/** How an instance is reached: its private address, its public endpoint if public, and who may connect. */
export interface Exposure {
  /** The engine's private address and port. */
  address: string;
  port: number;
  /** Where it is also published, when public. */
  public?: { address: string; port: number };
  /** IPv4 networks that may reach the engine's port, on either path; empty: any source. */
  allowedCidrs: string[];
  /** The system user the datastore's engines run as: their own connections (replication) pass. */
  engineUser: string;
}

export type AgentProcessState = 'running' | 'restarted' | 'missing';

export interface ComputeDriver {
  readonly name: string;
  /** The image guests are built from: one id that serves every installed datastore version. */
  imageId(): string;
  /** Idempotent: whatever already exists is kept, whatever is missing is made. */
  place(spec: PlacementSpec): Promise<Placement>;
  agentSocket(instanceId: string): string;
  /** Restarts the agent process if it died (and remounts the volume if needed). */
  ensureAgent(spec: PlacementSpec): Promise<AgentProcessState>;
  /**
   * Grows the volume to the spec's size while the engine runs. 'offline-needed' means this host
   * cannot: stop the engine, call growVolumeOffline, start it again.
   */
  growVolume(spec: PlacementSpec): Promise<'grown' | 'offline-needed'>;
  /** Grows the volume with nothing using it; remounts it. Safe to repeat. */
  growVolumeOffline(spec: PlacementSpec): Promise<void>;
  /** Mounts the volume again if an interrupted operation left it unmounted. */
  ensureVolume(spec: PlacementSpec): Promise<void>;
  /** Applies the spec's RAM and vCPU limits to the running instance. */
  updateLimits(spec: PlacementSpec): Promise<void>;
  /**
   * Fences an instance that may not be reached: its processes are ended at once and its agent,
   * whenever it starts again, starts the engine read-only (the agent's replication role file).
   */
  fence(instanceId: string): Promise<void>;
  /**
   * A new guest on the instance's volume: the agent and everything it generated are replaced by
   * the current image's, the volume (and the instance's place in a replication set) is kept.
   * Leaves a started agent that must be prepared with `rebuild`. Safe to repeat.
   */
  rebuild(spec: PlacementSpec): Promise<void>;
  /** Publishes the instance as `exposure` says and enforces who may reach it; replaces what was there. Safe to repeat. */
  expose(instanceId: string, exposure: Exposure): Promise<void>;
  /** Idempotent: processes, mount, limits, published endpoints, rules and folder are gone afterwards. */
  remove(instanceId: string): Promise<void>;
}
