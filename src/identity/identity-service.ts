import { createHash, randomBytes } from 'node:crypto';
import { BadRequest, Conflict, NotFound, Unauthorized } from '../common/errors.js';
import { newHexId } from '../common/ids.js';
import { isUniqueViolation, type Store } from '../state/database.js';
import type { ProjectTable, UserTable } from '../state/schema.js';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter, type LoginLimitSettings } from './login-limits.js';
import { hasControlCharacter } from '../common/control-characters.js';
import { MAX_PASSWORD_LENGTH, hashPassword, verifyPassword } from './passwords.js';
import { ROLE_NAMES, type RoleName } from './roles.js';
import { DEFAULT_DOMAIN, type IssuedToken, type NamedRef, type PasswordAuthRequest, type RequestedScope, type Role, type TokenAuthRequest, type TokenInfo } from './types.js';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function checkName(kind: string, name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new BadRequest(`${kind} name "${name}" is invalid: use 1 to 64 letters, digits, '_', '.', '@' or '-', starting with a letter or digit`);
  }
}

function checkNewPassword(password: string): void {
  if (password.length < 8) throw new BadRequest('Password must have at least 8 characters.');
  if (password.length > MAX_PASSWORD_LENGTH) throw new BadRequest(`Password must have at most ${MAX_PASSWORD_LENGTH} characters.`);
  if (hasControlCharacter(password)) throw new BadRequest('Password must not contain control characters (NUL, tab, newline and the like).');
}

/** Keystone's single domain: a request naming any other domain authenticates nobody. */
function inDefaultDomain(domain: { id?: string; name?: string } | undefined): boolean {
  if (!domain) return true;
  if (domain.id !== undefined) return domain.id === DEFAULT_DOMAIN.id;
  if (domain.name !== undefined) return domain.name === DEFAULT_DOMAIN.name;
  return true;
}

/**
 * Projects, users, roles and tokens: the Keystone v3 subset that OpenStack clients need.
 * Passwords are kept as scrypt hashes and tokens as SHA-256 digests, never in clear.
 */
export class IdentityService {
  private readonly limiter: LoginLimiter;

  constructor(
    private readonly db: Store,
    private readonly tokenTtlSeconds: number,
    loginLimits: LoginLimitSettings = DEFAULT_LOGIN_LIMITS,
    /** The clock of token expiry and of the login window; tests pass their own. */
    private readonly now: () => Date = () => new Date(),
  ) {
    this.limiter = new LoginLimiter(db, loginLimits, now);
  }

  async findProject(idOrName: string): Promise<ProjectTable | undefined> {
    return this.db
      .selectFrom('projects')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb.and([eb('name', '=', idOrName), eb('domain_id', '=', DEFAULT_DOMAIN.id)])]))
      .executeTakeFirst();
  }

  async requireProject(idOrName: string): Promise<ProjectTable> {
    const project = await this.findProject(idOrName);
    if (!project) throw new NotFound(`Project '${idOrName}' cannot be found.`);
    return project;
  }

  async listProjects(): Promise<ProjectTable[]> {
    return this.db.selectFrom('projects').selectAll().orderBy('name').execute();
  }

  async createProject(name: string, description = ''): Promise<ProjectTable> {
    checkName('Project', name);
    const row: ProjectTable = { id: newHexId(), name, domain_id: DEFAULT_DOMAIN.id, description, enabled: 1, created_at: new Date().toISOString() };
    try {
      await this.db.insertInto('projects').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Project '${name}' already exists.`);
      throw err;
    }
    return row;
  }

  async listUsers(): Promise<Array<UserTable & { project: string | null; roles: string }>> {
    const users = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
    const result = [];
    for (const user of users) {
      const roles = await this.db
        .selectFrom('role_assignments')
        .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
        .innerJoin('projects', 'projects.id', 'role_assignments.project_id')
        .select(['roles.name as role', 'projects.name as project'])
        .where('role_assignments.user_id', '=', user.id)
        .execute();
      const project = user.default_project_id ? ((await this.findProject(user.default_project_id))?.name ?? null) : null;
      result.push({ ...user, project, roles: roles.map((r) => `${r.project}:${r.role}`).join(',') });
    }
    return result;
  }

  /** Creates a user with a role on a project; nothing is written unless every part is valid. */
  async createUser(name: string, projectIdOrName: string, password: string, role: RoleName): Promise<UserTable> {
    checkName('User', name);
    checkNewPassword(password);
    if (!ROLE_NAMES.includes(role)) throw new BadRequest(`Role must be one of ${ROLE_NAMES.join(', ')}.`);
    const project = await this.requireProject(projectIdOrName);
    const roleRow = await this.db.selectFrom('roles').selectAll().where('name', '=', role).executeTakeFirstOrThrow();
    const row: UserTable = {
      id: newHexId(),
      name,
      domain_id: DEFAULT_DOMAIN.id,
      password_hash: await hashPassword(password),
      default_project_id: project.id,
      enabled: 1,
      created_at: new Date().toISOString(),
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(row).execute();
        await trx.insertInto('role_assignments').values({ user_id: row.id, project_id: project.id, role_id: roleRow.id }).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`User '${name}' already exists.`);
      throw err;
    }
    return row;
  }

  async setPassword(userName: string, password: string): Promise<void> {
    checkNewPassword(password);
    const hash = await hashPassword(password);
    const result = await this.db.updateTable('users').set({ password_hash: hash }).where('name', '=', userName).where('domain_id', '=', DEFAULT_DOMAIN.id).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new NotFound(`User '${userName}' cannot be found.`);
  }

  /** Gives a user a role on a project; granting one it already has is not an error. */
  async grantRole(userName: string, projectIdOrName: string, role: RoleName): Promise<void> {
    const project = await this.requireProject(projectIdOrName);
    const user = await this.db.selectFrom('users').selectAll().where('name', '=', userName).executeTakeFirst();
    if (!user) throw new NotFound(`User '${userName}' cannot be found.`);
    const roleRow = await this.db.selectFrom('roles').selectAll().where('name', '=', role).executeTakeFirstOrThrow();
    await this.db
      .insertInto('role_assignments')
      .values({ user_id: user.id, project_id: project.id, role_id: roleRow.id })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /**
   * Makes sure the admin project, user and role exist, as keystone-manage bootstrap does.
   * Running it again is harmless; it sets the admin password to the one given.
   */
  async bootstrap(adminPassword: string): Promise<{ project: ProjectTable; created: boolean }> {
    const project = (await this.findProject('admin')) ?? (await this.createProject('admin', 'Operators of this Trove'));
    const existing = await this.db.selectFrom('users').select('id').where('name', '=', 'admin').executeTakeFirst();
    if (existing) {
      await this.setPassword('admin', adminPassword);
      await this.grantRole('admin', project.id, 'admin');
      return { project, created: false };
    }
    await this.createUser('admin', project.id, adminPassword, 'admin');
    return { project, created: true };
  }

  private async rolesOf(userId: string, projectId: string): Promise<Role[]> {
    return this.db
      .selectFrom('role_assignments')
      .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
      .select(['roles.id', 'roles.name'])
      .where('role_assignments.user_id', '=', userId)
      .where('role_assignments.project_id', '=', projectId)
      .orderBy('roles.name')
      .execute();
  }

  /**
   * Password authentication; every failure is the same 401 so nothing leaks about which part
   * was wrong, and wrong passwords count against the user and the source address (429 beyond
   * the allowance, even for the right password).
   */
  async authenticate(request: PasswordAuthRequest): Promise<IssuedToken> {
    if (!inDefaultDomain(request.user.domain)) throw denied();
    let query = this.db.selectFrom('users').selectAll().where('enabled', '=', 1);
    if (request.user.id) query = query.where('id', '=', request.user.id);
    else if (request.user.name) query = query.where('name', '=', request.user.name).where('domain_id', '=', DEFAULT_DOMAIN.id);
    else throw new BadRequest('Authentication needs a user id or a user name.');
    const user = await query.executeTakeFirst();
    // An unknown user is counted under the name sent, and checked against a throwaway hash:
    // it takes the path of a known user with a wrong password, in time and in lockout.
    const attempt = await this.limiter.begin(user?.id ?? `unknown:${request.user.id ?? ''}:${request.user.name ?? ''}`, request.source);
    const usable = !hasControlCharacter(request.password) && request.password.length <= MAX_PASSWORD_LENGTH;
    const check = await verifyPassword(usable ? request.password : '', user?.password_hash ?? UNKNOWN_USER_HASH);
    if (!user || !usable || !check.ok) {
      await attempt.failed();
      throw denied();
    }
    await attempt.succeeded();
    if (check.stale)
      await this.db
        .updateTable('users')
        .set({ password_hash: await hashPassword(request.password) })
        .where('id', '=', user.id)
        .execute();

    const scope: RequestedScope = request.project ? { project: request.project } : request.unscoped ? 'unscoped' : undefined;
    const project = await this.resolveScope(user, scope);
    return this.issue({ id: user.id, name: user.name }, project, ['password'], null, null);
  }

  /**
   * The token method: a valid token exchanged for a new one, usually an unscoped token for a
   * project-scoped one. As in Keystone the new token expires when the old one does, so that
   * exchanging never extends a login, and it carries the old one's audit id.
   */
  async authenticateWithToken(request: TokenAuthRequest): Promise<IssuedToken> {
    const old = await this.validate(request.token);
    if (!old) throw denied();
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', old.user.id).where('enabled', '=', 1).executeTakeFirst();
    if (!user) throw denied();
    const project = await this.resolveScope(user, request.scope);
    return this.issue(old.user, project, ['token', ...old.methods.filter((m) => m !== 'token')], old.expiresAt, old.parentAuditId ?? old.auditId);
  }

  /**
   * Keystone's scoping: a named project needs a role on it; no scope means the user's default
   * project when it is enabled and the user has a role there, and an unscoped token otherwise.
   */
  private async resolveScope(user: UserTable, scope: RequestedScope): Promise<{ project: ProjectTable; roles: Role[] } | null> {
    if (scope === 'unscoped') return null;
    if (scope) {
      if (!inDefaultDomain(scope.project.domain)) throw denied();
      const key = scope.project.id ?? scope.project.name;
      if (!key) throw new BadRequest('A project scope needs an id or a name.');
      let query = this.db.selectFrom('projects').selectAll().where('enabled', '=', 1);
      query = scope.project.id ? query.where('id', '=', key) : query.where('name', '=', key).where('domain_id', '=', DEFAULT_DOMAIN.id);
      const project = await query.executeTakeFirst();
      if (!project) throw denied();
      const roles = await this.rolesOf(user.id, project.id);
      if (roles.length === 0) throw denied();
      return { project, roles };
    }
    if (!user.default_project_id) return null;
    const project = await this.db.selectFrom('projects').selectAll().where('id', '=', user.default_project_id).where('enabled', '=', 1).executeTakeFirst();
    if (!project) return null;
    const roles = await this.rolesOf(user.id, project.id);
    return roles.length > 0 ? { project, roles } : null;
  }

  private async issue(user: NamedRef, scope: { project: ProjectTable; roles: Role[] } | null, methods: string[], expiresAt: Date | null, parentAuditId: string | null): Promise<IssuedToken> {
    const token = `trv_${randomBytes(32).toString('base64url')}`;
    const issuedAt = this.now();
    const expires = expiresAt ?? new Date(issuedAt.getTime() + this.tokenTtlSeconds * 1000);
    const auditId = randomBytes(16).toString('base64url').slice(0, 22);
    await this.db.deleteFrom('tokens').where('expires_at', '<', issuedAt.toISOString()).execute();
    await this.db
      .insertInto('tokens')
      .values({
        token_hash: tokenHash(token),
        user_id: user.id,
        project_id: scope?.project.id ?? null,
        audit_id: auditId,
        parent_audit_id: parentAuditId,
        methods: methods.join(','),
        issued_at: issuedAt.toISOString(),
        expires_at: expires.toISOString(),
        revoked: 0,
      })
      .execute();
    const project = scope ? { id: scope.project.id, name: scope.project.name } : null;
    return { token, context: tokenInfo(user, project, scope?.roles ?? [], methods, issuedAt, expires, auditId, parentAuditId) };
  }

  /** What a token says, or undefined when it is unknown, revoked or expired. */
  async validate(token: string, now = this.now()): Promise<TokenInfo | undefined> {
    const row = await this.db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .leftJoin('projects', 'projects.id', 'tokens.project_id')
      .select([
        'tokens.user_id',
        'users.name as user_name',
        'users.enabled as user_enabled',
        'tokens.project_id',
        'projects.name as project_name',
        'tokens.audit_id',
        'tokens.parent_audit_id',
        'tokens.methods',
        'tokens.issued_at',
        'tokens.expires_at',
        'tokens.revoked',
      ])
      .where('tokens.token_hash', '=', tokenHash(token))
      .executeTakeFirst();
    if (!row || row.revoked || !row.user_enabled) return undefined;
    const expiresAt = new Date(row.expires_at);
    if (expiresAt.getTime() <= now.getTime()) return undefined;
    let project: NamedRef | null = null;
    let roles: Role[] = [];
    if (row.project_id !== null) {
      if (row.project_name === null) return undefined;
      project = { id: row.project_id, name: row.project_name };
      roles = await this.rolesOf(row.user_id, row.project_id);
      // A project token whose user lost every role there grants nothing any more.
      if (roles.length === 0) return undefined;
    }
    const user = { id: row.user_id, name: row.user_name };
    return tokenInfo(user, project, roles, row.methods.split(','), new Date(row.issued_at), expiresAt, row.audit_id, row.parent_audit_id);
  }

  async revoke(token: string): Promise<boolean> {
    const result = await this.db.updateTable('tokens').set({ revoked: 1 }).where('token_hash', '=', tokenHash(token)).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function denied(): Unauthorized {
  return new Unauthorized('The request you have made requires authentication.');
}

function tokenInfo(user: NamedRef, project: NamedRef | null, roles: Role[], methods: string[], issuedAt: Date, expiresAt: Date, auditId: string, parentAuditId: string | null): TokenInfo {
  return { user, project, roles, isAdmin: roles.some((r) => r.name === 'admin'), methods, issuedAt, expiresAt, auditId, parentAuditId };
}

// A valid hash of a random password nobody knows, used to keep failed logins equally slow.
const UNKNOWN_USER_HASH = 'scrypt-sha256$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
