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
  project_id: string;
  audit_id: string;
  issued_at: string;
  expires_at: string;
  revoked: number;
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

export interface Database {
  projects: ProjectTable;
  users: UserTable;
  roles: RoleTable;
  role_assignments: RoleAssignmentTable;
  tokens: TokenTable;
  flavors: FlavorTable;
  quotas: QuotaTable;
  quota_usages: QuotaUsageTable;
}
