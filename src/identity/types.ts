export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;

export interface Role {
  id: string;
  name: string;
}

export interface NamedRef {
  id: string;
  name: string;
}

/** What a valid token says: its user and, unless it is unscoped, the project and roles there. */
export interface TokenInfo {
  user: NamedRef;
  /** null: an unscoped token, which proves who the user is and grants nothing on a project. */
  project: NamedRef | null;
  roles: Role[];
  isAdmin: boolean;
  /** The authentication methods behind the token, newest first (["token", "password"] after a rescope). */
  methods: string[];
  issuedAt: Date;
  expiresAt: Date;
  auditId: string;
  /** The audit id of the token this one was exchanged for, if any (Keystone's audit chain). */
  parentAuditId: string | null;
}

/** Who is calling a project route, as established from a valid project-scoped token. */
export interface AuthContext extends TokenInfo {
  project: NamedRef;
}

export function isProjectScoped(info: TokenInfo): info is AuthContext {
  return info.project !== null;
}

export interface IssuedToken {
  token: string;
  context: TokenInfo;
}

export interface DomainRef {
  id?: string;
  name?: string;
}

/**
 * The scope a login asks for: a project, explicitly none ("unscoped"), or nothing said (then
 * the user's default project if it has a role there, else unscoped, as Keystone does).
 */
export type RequestedScope = { project: { id?: string; name?: string; domain?: DomainRef } } | 'unscoped' | undefined;

/** What a password authentication names: a user, and the project to scope to. */
export interface PasswordAuthRequest {
  user: { id?: string; name?: string; domain?: DomainRef };
  password: string;
  project?: { id?: string; name?: string; domain?: DomainRef };
  /** Asks for an unscoped token; ignored when a project is named. */
  unscoped?: boolean;
  /** The caller's address, for the per-source limit on failed logins. */
  source?: string;
}

/** A token exchanged for another, usually to scope an unscoped one. */
export interface TokenAuthRequest {
  token: string;
  scope: RequestedScope;
}
