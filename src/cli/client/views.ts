/** The parts of the API's wire shapes that the client reads. */
export interface InstanceView {
  id: string;
  name: string;
  status: string;
  operating_status?: string;
  flavor: { id: string };
  datastore: { type: string; version: string };
  volume?: { size: number; used?: number };
  ip?: string[];
  port?: number;
  region?: string;
  configuration?: { id: string; name: string };
  fault?: { message: string; created: string; details?: string };
  replica_of?: { id: string };
  replicas?: Array<{ id: string }>;
  auto_failover?: boolean;
  access?: { is_public: boolean; allowed_cidrs: string[] };
  replication?: { role: string; streaming: boolean; position: string; lag_seconds?: number; error?: string };
  pending_tasks?: string[];
  created: string;
  updated: string;
}

export interface BackupView {
  id: string;
  name: string;
  description: string | null;
  instance_id: string;
  status: string;
  size: number | null;
  parent_id: string | null;
  locationRef: string | null;
  datastore: { type: string; version: string };
  fail_reason?: string;
  progress?: { bytes_stored: number };
  created: string;
  updated: string;
}

export interface ConfigurationView {
  id: string;
  name: string;
  description?: string | null;
  values?: Record<string, unknown>;
  datastore_name?: string;
  datastore_version_name?: string;
  instance_count?: number;
  created?: string;
  updated?: string;
}

export interface FlavorView {
  id: number | null;
  str_id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
}

export interface ClusterMemberView {
  id: string;
  name: string;
  type: string;
  status?: string;
  flavor?: { id: string };
  volume?: { size: number };
  ip?: string[];
}

export interface ClusterView {
  id: string;
  name: string;
  task: { id: number; name: string; description: string };
  datastore: { type: string; version: string };
  instances: ClusterMemberView[];
  ip?: string[];
  /** The id of the configuration group every member runs. */
  configuration?: string;
  fault?: { message: string; created: string };
  created: string;
  updated: string;
}
