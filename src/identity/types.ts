export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;

export interface Role {
  id: string;
  name: string;
}

export interface NamedRef {
  id: string;
  name: string;
}

/** Who is calling, as established from a valid token. */
export interface AuthContext {
  user: NamedRef;
  project: NamedRef;
  roles: Role[];
  isAdmin: boolean;
  issuedAt: Date;
  expiresAt: Date;
  auditId: string;
}

export interface IssuedToken {
  token: string;
  context: AuthContext;
}

/** What a password authentication names: a user, and the project to scope to. */
export interface PasswordAuthRequest {
  user: { id?: string; name?: string; domain?: { id?: string; name?: string } };
  password: string;
  project?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
}
