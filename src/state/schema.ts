import type { TaskStatus } from './task-status.js';
/**
 * Row shapes of every table, for Kysely's typed queries. Times are ISO-8601 text and flags
 * are 0/1 integers so that SQLite and PostgreSQL hold the same values.
 */
export interface ProjectTable {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: number;
  created_at: string;
}

export interface UserTable {
  id: string;
  name: string;
  domain_id: string;
  password_hash: string;
  default_project_id: string | null;
  enabled: number;
  created_at: string;
}

export interface RoleTable {
  id: string;
  name: string;
}

export interface RoleAssignmentTable {
  user_id: string;
  project_id: string;
  role_id: string;
}

export interface TokenTable {
  /** SHA-256 of the token: the token itself is never stored. */
  token_hash: string;
  user_id: string;
  /** null: an unscoped token. */
  project_id: string | null;
  audit_id: string;
  /** The audit id of the token this one was exchanged for. */
  parent_audit_id: string | null;
  /** Authentication methods, comma-separated, newest first. */
  methods: string;
  issued_at: string;
  expires_at: string;
  revoked: number;
}

/** A failed (or running) login, counted against a user or a source address for a time window. */
export interface LoginFailureTable {
  /** "user:" or "source:" and a digest of the user or address. */
  counter: string;
  attempt_id: string;
  attempted_at: string;
}

export interface FlavorTable {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  created_at: string;
}

export interface QuotaTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}

export interface QuotaUsageTable {
  project_id: string;
  resource: string;
  in_use: number;
  reserved: number;
}

export interface InstanceTable {
  id: string;
  project_id: string;
  name: string;
  flavor_id: string;
  ram_mb: number;
  vcpus: number;
  volume_size: number;
  datastore: string;
  datastore_version: string;
  datastore_version_full: string;
  task_status: TaskStatus;
  address: string | null;
  port: number | null;
  server_status: string;
  service_status: string;
  service_status_updated: string;
  last_contact_at: string | null;
  volume_used_bytes: number | null;
  fault_message: string | null;
  fault_details: string | null;
  fault_created: string | null;
  deleted: number;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
  root_enabled_at: string | null;
  configuration_id: string | null;
  /** JSON: the configuration values last written to the instance, for its flavor. */
  applied_configuration: string | null;
  restart_required: number;
  /** The source this instance replicates; null for a standalone instance or a source. */
  replica_of_id: string | null;
  /** Sealed: the replication password of the instance's set. */
  replication_secret: string | null;
  /** JSON: the agent's last replication status. */
  replication_status: string | null;
  /** 1: a source that stays down is failed over from without being asked. */
  auto_failover: number;
  /** 1: published on the host's public address too (Trove's access.is_public). */
  access_public: number;
  /** JSON array of IPv4 CIDRs that may reach the engine's port; empty: any source. */
  access_cidrs: string;
  /** The cluster this instance is a member of; null for an instance of its own. */
  cluster_id: string | null;
  /** The member's type in its cluster's view (the datastore's word). */
  cluster_member_type: string | null;
}

/** Trove's ClusterTasks, by name. */
export type ClusterTask = 'NONE' | 'BUILDING_INITIAL' | 'DELETING' | 'GROWING_CLUSTER' | 'SHRINKING_CLUSTER' | 'RESTARTING_CLUSTER' | 'UPDATING_CLUSTER';

export interface ClusterTable {
  id: string;
  project_id: string;
  name: string;
  datastore: string;
  datastore_version: string;
  task: ClusterTask;
  /** Sealed: what the members authenticate to one another with. */
  secret: string;
  fault_message: string | null;
  fault_created: string | null;
  deleted: number;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConfigurationTable {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  datastore: string;
  datastore_version: string;
  /** JSON: parameter → value as written (formulas kept). */
  values: string;
  deleted: number;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TaskTable {
  id: string;
  kind: string;
  target_id: string;
  /** JSON; secret values inside are sealed (see common/secrets.ts). */
  params: string;
  step: number;
  attempts: number;
  state: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  run_after: string;
  deadline_at: string;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AddressLeaseTable {
  address: string;
  instance_id: string;
  created_at: string;
}

/** A public address and port in use by one instance. */
export interface PublicEndpointTable {
  address: string;
  port: number;
  instance_id: string;
  created_at: string;
}

export interface BackupTable {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  instance_id: string;
  datastore: string;
  datastore_version: string;
  parent_id: string | null;
  kind: string;
  status: string;
  container: string;
  object_key: string;
  /** Where the data is, as users may see it (no credentials). */
  location: string;
  size_bytes: number | null;
  /** While the backup runs: bytes stored so far (compressed and encrypted). */
  progress_bytes: number | null;
  sha256: string | null;
  tool: string | null;
  /** JSON object of the engine's positions. */
  positions: string | null;
  volume_used_bytes: number | null;
  /** JSON array of the archived log files the backup spans ({container, key, size, sha256}), each its own object. */
  parts: string | null;
  /** Archived files named before this one are not needed by backups built on this one. */
  archive_floor: string | null;
  /** Which backup key encrypted it (never the key). */
  key_id: string;
  fail_reason: string | null;
  deleted: number;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface BackupStrategyTable {
  project_id: string;
  instance_id: string;
  backend: string;
  container: string;
  created_at: string;
}

export interface Database {
  projects: ProjectTable;
  users: UserTable;
  roles: RoleTable;
  role_assignments: RoleAssignmentTable;
  tokens: TokenTable;
  login_failures: LoginFailureTable;
  flavors: FlavorTable;
  quotas: QuotaTable;
  quota_usages: QuotaUsageTable;
  instances: InstanceTable;
  clusters: ClusterTable;
  tasks: TaskTable;
  address_leases: AddressLeaseTable;
  public_endpoints: PublicEndpointTable;
  backups: BackupTable;
  backup_strategies: BackupStrategyTable;
  configurations: ConfigurationTable;
}
