import { sleep } from '../common/time.js';
import { TaskStatus } from '../state/task-status.js';
import { DESCRIPTORS } from '../catalog/descriptors/index.js';
import type { DatastoreCatalog } from '../catalog/registry.js';
import type { DatastoreCapabilities } from '../catalog/descriptor.js';
import { BadRequest, NotFound, UnprocessableEntity } from '../common/errors.js';
import { AgentClient, AgentRefused, AgentUnreachable } from '../agent/rpc/client.js';
import { agentFault } from '../agent/rpc/faults.js';
import { routes } from '../agent/rpc/routes.js';
import { bestEffort } from '../common/best-effort.js';
import type { Logger } from '../common/log.js';
import type { ComputeDriver } from '../compute/driver.js';
import type { AuthContext } from '../identity/types.js';
import type { InstanceTable } from '../state/schema.js';
import type { InstanceService } from './instance-service.js';
import type { InstanceRecords } from '../state/instance-records.js';
import { checkDatabaseName, checkDatabases, checkHost, checkPassword, checkUserName, checkUsers, type DatabaseInput, type NameRuleSet, type UserInput } from './validation.js';

/** What any datastore's names may be: checked before the instance (so its datastore's own rules) is known. */
const ANY_DATASTORE: NameRuleSet = DESCRIPTORS.map((d) => d.names);

export interface UserRef {
  name: string;
  host: string;
}

export interface UserView {
  name: string;
  host: string;
  databases: string[];
}

/** `name` or `name@host` as it appears in a URL path; the host defaults to '%'. */
export function parseUserRef(raw: string, hostQuery?: string): UserRef {
  const at = raw.lastIndexOf('@');
  const ref = at > 0 ? { name: raw.slice(0, at), host: raw.slice(at + 1) } : { name: raw, host: hostQuery ?? '%' };
  checkUserName(ref.name, ANY_DATASTORE);
  checkHost(ref.host);
  return ref;
}

/** How long a call whose agent was not listening waits before its one retry. */
const RETRY_AFTER_MS = 1000;

const notActive = (id: string, taskStatus: string) => new UnprocessableEntity(`Instance '${id}' is not ACTIVE (it is ${taskStatus.toLowerCase()}); try again when it is.`);

/**
 * Databases, users, grants and root of a running instance. Whether a datastore has them is the
 * catalog's answer (capabilities); how is the agent's datastore module's business.
 */
export class GuestDataService {
  constructor(
    private readonly instances: InstanceService,
    private readonly store: InstanceRecords,
    private readonly catalog: DatastoreCatalog,
    private readonly driver: ComputeDriver,
    private readonly log: Logger,
  ) {}

  private async target(caller: AuthContext, projectId: string, id: string, capability: keyof Pick<DatastoreCapabilities, 'databases' | 'users' | 'root'>, changes = false): Promise<{ instance: InstanceTable; agent: AgentClient; names: NameRuleSet }> {
    const instance = await this.instances.get(caller, projectId, id);
    // A replica's data comes from its source: a change made on the replica would fork it.
    if (changes && instance.replica_of_id) throw new UnprocessableEntity(`Instance '${instance.name}' is a replica: make this change on its source (${instance.replica_of_id}), from which it replicates.`);
    const { descriptor } = this.catalog.get(instance.datastore);
    if (!descriptor.capabilities[capability]) throw new UnprocessableEntity(`Datastore '${instance.datastore}' does not support ${capability === 'root' ? 'enabling root' : capability}.`);
    if (instance.task_status !== TaskStatus.NONE) throw notActive(id, instance.task_status);
    return { instance, agent: new AgentClient(this.driver.agentSocket(instance.id)), names: [descriptor.names] };
  }

  /**
   * A task that started while the call ran (a delete stopping the engine, a backup, a promotion
   * fencing the source) explains the call's failure: the caller hears what it would have heard a
   * moment later (404, or 422 "not ACTIVE"), not an unexpected error.
   */
  private async overtaken(instanceId: string): Promise<void> {
    const now = await this.store.find(instanceId);
    if (!now) throw new NotFound(`Instance '${instanceId}' cannot be found.`);
    if (now.task_status !== TaskStatus.NONE) throw notActive(instanceId, now.task_status);
  }

  /**
   * Accounts that do not replicate with the data (the agent says which: none for most engines)
   * are copied to the source's replicas, and to the other members of its cluster, after each
   * change; a replica that cannot be reached now gets them when it next joins.
   */
  private async copyAccountsToReplicas(source: InstanceTable): Promise<void> {
    // The other members of a cluster are as the source's replicas: what they lack is the same.
    const members = source.cluster_id ? await this.store.db.selectFrom('instances').selectAll().where('cluster_id', '=', source.cluster_id).where('deleted', '=', 0).where('id', '!=', source.id).execute() : [];
    const replicas = [...(await this.store.replicasOf(source.id)), ...members];
    if (replicas.length === 0) return;
    const { accounts } = await this.call(source.id, () => new AgentClient(this.driver.agentSocket(source.id)).call(routes.accountsExport));
    if (accounts.length === 0) return;
    await Promise.all(replicas.map((r) => bestEffort(this.log.child({ replica: r.id }), 'copying accounts to a replica', new AgentClient(this.driver.agentSocket(r.id)).call(routes.accountsImport, { accounts }))));
  }

  /**
   * An agent restarting (its socket not listening yet) gets a second chance before the caller hears 422.
   * A failure that is not the agent's refusal of the request is first checked against what the
   * instance is doing now.
   */
  private async call<T>(instanceId: string, work: () => Promise<T>): Promise<T> {
    const fail = async (err: unknown): Promise<never> => {
      if (!(err instanceof AgentRefused)) await this.overtaken(instanceId);
      return agentFault(err, instanceId);
    };
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof AgentUnreachable && err.notSent)) return fail(err);
    }
    await sleep(RETRY_AFTER_MS);
    try {
      return await work();
    } catch (err) {
      return fail(err);
    }
  }

  async listDatabases(caller: AuthContext, projectId: string, id: string): Promise<DatabaseInput[]> {
    const { agent } = await this.target(caller, projectId, id, 'databases');
    return this.call(id, async () => (await agent.call(routes.databasesList)).databases);
  }

  async createDatabases(caller: AuthContext, projectId: string, id: string, databases: DatabaseInput[]): Promise<void> {
    if (databases.length === 0) throw new BadRequest('Give at least one database: {"databases": [{"name": …}]}.');
    checkDatabases(databases, ANY_DATASTORE);
    const { agent, names } = await this.target(caller, projectId, id, 'databases', true);
    checkDatabases(databases, names);
    await this.call(id, () => agent.call(routes.databasesCreate, { databases }));
  }

  async deleteDatabase(caller: AuthContext, projectId: string, id: string, name: string): Promise<void> {
    checkDatabaseName(name, ANY_DATASTORE);
    const { agent, names } = await this.target(caller, projectId, id, 'databases', true);
    checkDatabaseName(name, names);
    await this.call(id, () => agent.call(routes.databaseDelete, { name }));
  }

  async listUsers(caller: AuthContext, projectId: string, id: string): Promise<UserView[]> {
    const { agent } = await this.target(caller, projectId, id, 'users');
    return this.call(id, async () => (await agent.call(routes.usersList)).users);
  }

  async getUser(caller: AuthContext, projectId: string, id: string, user: UserRef): Promise<UserView> {
    const users = await this.listUsers(caller, projectId, id);
    const found = users.find((u) => u.name === user.name && u.host === user.host);
    if (!found) throw new NotFound(`User ${user.name}@${user.host} cannot be found on the instance.`);
    return found;
  }

  async createUsers(caller: AuthContext, projectId: string, id: string, users: UserInput[]): Promise<void> {
    if (users.length === 0) throw new BadRequest('Give at least one user: {"users": [{"name": …, "password": …}]}.');
    checkUsers(users, ANY_DATASTORE);
    const { instance, agent, names } = await this.target(caller, projectId, id, 'users', true);
    // The capability answers first: a datastore without databases has no rule to check their names by.
    if (!this.catalog.get(instance.datastore).descriptor.capabilities.databases && users.some((u) => u.databases.length > 0)) throw new UnprocessableEntity(`Datastore '${instance.datastore}' has no databases; create its users without "databases".`);
    checkUsers(users, names);
    await this.call(id, () => agent.call(routes.usersCreate, { users: users.map((u) => ({ ...u, host: u.host ?? '%' })) }));
    await this.copyAccountsToReplicas(instance);
  }

  async updateUser(caller: AuthContext, projectId: string, id: string, user: UserRef, changes: { name?: string; host?: string; password?: string }): Promise<void> {
    if (changes.name === undefined && changes.host === undefined && changes.password === undefined) throw new BadRequest('Nothing to change: give a new name, host or password.');
    if (changes.name !== undefined) checkUserName(changes.name, ANY_DATASTORE);
    if (changes.host !== undefined) checkHost(changes.host);
    if (changes.password !== undefined) checkPassword(changes.password);
    const { instance, agent, names } = await this.target(caller, projectId, id, 'users', true);
    if (changes.name !== undefined) checkUserName(changes.name, names);
    await this.call(id, () => agent.call(routes.userUpdate, { user, ...changes }));
    await this.copyAccountsToReplicas(instance);
  }

  async deleteUser(caller: AuthContext, projectId: string, id: string, user: UserRef): Promise<void> {
    const { instance, agent } = await this.target(caller, projectId, id, 'users', true);
    await this.call(id, () => agent.call(routes.userDelete, user));
    await this.copyAccountsToReplicas(instance);
  }

  async grant(caller: AuthContext, projectId: string, id: string, user: UserRef, databases: string[]): Promise<void> {
    if (databases.length === 0) throw new BadRequest('Give at least one database to grant: {"databases": [{"name": …}]}.');
    for (const name of databases) checkDatabaseName(name, ANY_DATASTORE);
    const { agent, names } = await this.target(caller, projectId, id, 'databases', true);
    for (const name of databases) checkDatabaseName(name, names);
    await this.call(id, () => agent.call(routes.userGrant, { user, databases }));
  }

  async revoke(caller: AuthContext, projectId: string, id: string, user: UserRef, database: string): Promise<void> {
    checkDatabaseName(database, ANY_DATASTORE);
    const { agent, names } = await this.target(caller, projectId, id, 'databases', true);
    checkDatabaseName(database, names);
    await this.call(id, () => agent.call(routes.userRevoke, { user, database }));
  }

  /** Enables root with the given password, or a random one shown only in this answer. */
  async enableRoot(caller: AuthContext, projectId: string, id: string, password?: string): Promise<{ name: string; password: string }> {
    if (password !== undefined) checkPassword(password);
    const { instance, agent } = await this.target(caller, projectId, id, 'root', true);
    const { user } = await this.call(id, () => agent.call(routes.rootEnable, password === undefined ? {} : { password }));
    // An agent older than this server ignores the password; the random one it set is not put in a message, which could be logged.
    if (password !== undefined && user.password !== password)
      throw new UnprocessableEntity(
        `The guest agent of instance '${instance.name}' is older than this server and could not set the password given; root is enabled with a random one: enable root again without a password to get a new one, or restart the instance to update its agent.`,
      );
    if (!instance.root_enabled_at) await this.store.update(instance.id, { root_enabled_at: new Date().toISOString() });
    await this.copyAccountsToReplicas(instance);
    return user;
  }

  async rootEnabled(caller: AuthContext, projectId: string, id: string): Promise<boolean> {
    const instance = await this.instances.get(caller, projectId, id);
    if (!this.catalog.get(instance.datastore).descriptor.capabilities.root) throw new UnprocessableEntity(`Datastore '${instance.datastore}' does not support enabling root.`);
    return instance.root_enabled_at !== null;
  }

  async disableRoot(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const { instance, agent } = await this.target(caller, projectId, id, 'root', true);
    await this.call(id, () => agent.call(routes.rootDisable));
    await this.copyAccountsToReplicas(instance);
  }
}
