/**
 * Where instances run. The control plane asks a driver to place an instance (folder, volume,
 * address, limits, a running agent), to keep its agent alive, and to remove every trace of it.
 */
export interface PlacementSpec {
  instanceId: string;
  /** The agent module to run, from the datastore's descriptor. */
  engine: string;
  address: string;
  port: number;
  volumeGb: number;
  ramMb: number;
  vcpus: number;
}

export interface Placement {
  /** Where the control plane reaches the agent. */
  agentSocket: string;
  volumeMounted: boolean;
  limits: 'cgroup-v1' | 'cgroup-v2' | 'none';
}

export type AgentProcessState = 'running' | 'restarted' | 'missing';

export interface ComputeDriver {
  readonly name: string;
  /** Idempotent: whatever already exists is kept, whatever is missing is made. */
  place(spec: PlacementSpec): Promise<Placement>;
  agentSocket(instanceId: string): string;
  /** Restarts the agent process if it died (and remounts the volume if needed). */
  ensureAgent(spec: PlacementSpec): Promise<AgentProcessState>;
  /** Idempotent: processes, mount, limits and folder are gone afterwards. */
  remove(instanceId: string): Promise<void>;
}
