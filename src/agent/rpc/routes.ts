import { Type } from 'typebox';
import { BackupRequest, BackupState } from '../backup-protocol.js';
import { AccessApply, AccessChange, AgentStatus, ConfigurationApply, DatabaseList, FlavorSpec, PARAMETER_NAME, PrepareRequest, UserInfo, UserList, UserRef, UserUpdate } from '../protocol.js';
import { AllowRequest, CatchUpRequest, RETAINER, ReplicationSource, ReplicationStatus } from '../replication-protocol.js';
import { ClusterMemberStatus, ClusterNodes, ClusterPosition, MembersChange } from '../cluster-protocol.js';
import { route, TIMEOUT } from './route.js';

/*
 * Every route the agent serves, each declared once (see route.ts). The agent's server has a
 * handler for each of these and no other; the control plane calls them as `agent.call(routes.x, …)`.
 * Bodies may carry passwords and keys: the agent never logs request bodies.
 */

const Ok = Type.Object({ ok: Type.Boolean() });
const DATABASE_NAME = DatabaseList.properties.databases.items.properties.name;
const LOG_NAME = Type.String({ pattern: '^[a-z_]{1,32}$' });
const BACKUP_ID = Type.String({ pattern: '^[0-9a-f-]{36}$' });

export const routes = {
  // The engine's life.
  status: route({ method: 'GET', path: '/status', request: undefined, response: AgentStatus, timeoutMs: TIMEOUT.quick, quiet: true }),
  prepare: route({ method: 'POST', path: '/prepare', request: PrepareRequest, response: Type.Object({ prepare: Type.String() }), timeoutMs: TIMEOUT.accept }),
  configure: route({ method: 'POST', path: '/configure', request: Type.Object({ flavor: FlavorSpec }, { additionalProperties: false }), response: Type.Object({ configured: Type.Boolean() }), timeoutMs: TIMEOUT.change }),
  engineStop: route({ method: 'POST', path: '/engine/stop', request: undefined, response: Type.Object({ stopped: Type.Boolean() }), timeoutMs: TIMEOUT.change }),
  engineStart: route({ method: 'POST', path: '/engine/start', request: undefined, response: Type.Object({ started: Type.Boolean() }), timeoutMs: TIMEOUT.change }),
  restart: route({ method: 'POST', path: '/restart', request: undefined, response: Type.Object({ restarted: Type.Boolean() }), timeoutMs: TIMEOUT.restart }),
  shutdown: route({ method: 'POST', path: '/shutdown', request: undefined, response: Type.Object({ stopped: Type.Boolean() }), timeoutMs: TIMEOUT.change }),

  // Databases, users, root.
  databasesList: route({
    method: 'GET',
    path: '/databases',
    request: undefined,
    response: Type.Object({ databases: Type.Array(Type.Object({ name: Type.String(), character_set: Type.Optional(Type.String()), collate: Type.Optional(Type.String()) })) }),
    timeoutMs: TIMEOUT.read,
  }),
  databasesCreate: route({ method: 'POST', path: '/databases', request: DatabaseList, response: Ok, timeoutMs: TIMEOUT.change }),
  databaseDelete: route({ method: 'POST', path: '/databases/delete', request: Type.Object({ name: DATABASE_NAME }, { additionalProperties: false }), response: Ok, timeoutMs: TIMEOUT.change }),
  usersList: route({ method: 'GET', path: '/users', request: undefined, response: Type.Object({ users: Type.Array(UserInfo) }), timeoutMs: TIMEOUT.read }),
  usersCreate: route({ method: 'POST', path: '/users', request: UserList, response: Ok, timeoutMs: TIMEOUT.change }),
  userUpdate: route({ method: 'POST', path: '/users/update', request: UserUpdate, response: Ok, timeoutMs: TIMEOUT.change }),
  userDelete: route({ method: 'POST', path: '/users/delete', request: UserRef, response: Ok, timeoutMs: TIMEOUT.change }),
  userGrant: route({ method: 'POST', path: '/users/grant', request: AccessChange, response: Ok, timeoutMs: TIMEOUT.change }),
  userRevoke: route({ method: 'POST', path: '/users/revoke', request: Type.Object({ user: UserRef, database: DATABASE_NAME }, { additionalProperties: false }), response: Ok, timeoutMs: TIMEOUT.change }),
  rootEnable: route({
    method: 'POST',
    path: '/root/enable',
    request: Type.Object({ password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }),
    response: Type.Object({ user: Type.Object({ name: Type.String(), password: Type.String() }) }),
    timeoutMs: TIMEOUT.change,
  }),
  rootDisable: route({ method: 'POST', path: '/root/disable', request: undefined, response: Ok, timeoutMs: TIMEOUT.change }),

  // Logs.
  logsList: route({ method: 'GET', path: '/logs', request: undefined, response: Type.Object({ logs: Type.Array(Type.Object({ name: Type.String(), enabled: Type.Boolean(), size: Type.Integer() })) }), timeoutMs: TIMEOUT.read }),
  logSet: route({ method: 'POST', path: '/logs/set', request: Type.Object({ name: LOG_NAME, enabled: Type.Boolean() }, { additionalProperties: false }), response: Ok, timeoutMs: TIMEOUT.change }),
  /** Up to 4 MB of a log from `offset` (base64); `size` is the log's length now. */
  logRead: route({
    method: 'GET',
    path: '/logs/read',
    request: Type.Object({ name: LOG_NAME, offset: Type.String({ pattern: '^[0-9]{1,15}$' }) }),
    response: Type.Object({ data: Type.String(), size: Type.Integer() }),
    timeoutMs: TIMEOUT.read,
  }),

  // Configuration and access.
  configurationApply: route({
    method: 'PUT',
    path: '/configuration',
    request: ConfigurationApply,
    response: Type.Object({ ok: Type.Boolean(), restart_pending: Type.Optional(Type.Array(Type.String())) }),
    timeoutMs: TIMEOUT.change,
  }),
  configurationRead: route({
    method: 'POST',
    path: '/configuration/read',
    request: Type.Object({ names: Type.Array(Type.String({ pattern: PARAMETER_NAME }), { maxItems: 500 }) }, { additionalProperties: false }),
    response: Type.Object({ values: Type.Record(Type.String(), Type.String()) }),
    timeoutMs: TIMEOUT.change,
  }),
  accessApply: route({ method: 'PUT', path: '/access', request: AccessApply, response: Type.Object({ engine_rule: Type.Boolean() }), timeoutMs: TIMEOUT.change }),

  // Backups: the key and the store's credentials arrive in the body.
  backupStart: route({ method: 'POST', path: '/backups', request: BackupRequest, response: Type.Object({ backup: Type.String() }), timeoutMs: TIMEOUT.change }),
  backupAbort: route({ method: 'POST', path: '/backups/:id/abort', request: Type.Object({ id: BACKUP_ID }), response: BackupState, timeoutMs: TIMEOUT.change }),
  /** A backup's state; with `wait_ms`, once it settles or that time has passed (at most 30 s). */
  backupState: route({ method: 'GET', path: '/backups/:id', request: Type.Object({ id: BACKUP_ID, wait_ms: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })) }), response: BackupState, timeoutMs: TIMEOUT.read }),

  // Replication: passwords arrive in bodies.
  replicationStatus: route({ method: 'GET', path: '/replication', request: undefined, response: ReplicationStatus, timeoutMs: TIMEOUT.read }),
  replicationAllow: route({ method: 'POST', path: '/replication/allow', request: AllowRequest, response: Ok, timeoutMs: TIMEOUT.change }),
  /** On a source: lets go of what it keeps for one replica, which no longer holds the source's log. */
  replicationRelease: route({ method: 'POST', path: '/replication/release', request: Type.Object({ retainer: Type.String({ pattern: RETAINER }) }, { additionalProperties: false }), response: Ok, timeoutMs: TIMEOUT.change }),
  replicationFollow: route({ method: 'POST', path: '/replication/follow', request: Type.Object({ source: ReplicationSource }, { additionalProperties: false }), response: Ok, timeoutMs: TIMEOUT.change }),
  replicationFence: route({ method: 'POST', path: '/replication/fence', request: undefined, response: Type.Object({ position: Type.String() }), timeoutMs: TIMEOUT.change }),
  replicationCatchUp: route({ method: 'POST', path: '/replication/catch-up', request: CatchUpRequest, response: Ok, timeoutMs: TIMEOUT.change }),
  replicationPromote: route({ method: 'POST', path: '/replication/promote', request: undefined, response: Ok, timeoutMs: TIMEOUT.change }),
  /** Accounts that do not replicate with the data (none for most engines), as the engine exports them. */
  accountsExport: route({ method: 'GET', path: '/replication/accounts', request: undefined, response: Type.Object({ accounts: Type.Array(Type.String()) }), timeoutMs: TIMEOUT.read }),
  accountsImport: route({
    method: 'POST',
    path: '/replication/accounts',
    request: Type.Object({ accounts: Type.Array(Type.String({ maxLength: 65536 }), { maxItems: 10_000 }) }, { additionalProperties: false }),
    response: Ok,
    timeoutMs: TIMEOUT.change,
  }),

  // Clusters.
  clusterStatus: route({ method: 'GET', path: '/cluster', request: undefined, response: ClusterMemberStatus, timeoutMs: TIMEOUT.read }),
  /** The members the engine contacts at its next start (a cluster that was formed, grew or shrank). */
  clusterMembers: route({ method: 'PUT', path: '/cluster/members', request: MembersChange, response: Ok, timeoutMs: TIMEOUT.change }),
  /** Stops the engine and keeps it stopped (until bootstrap, rejoin or an agent restart), then tells how far its data goes. */
  clusterHold: route({ method: 'POST', path: '/cluster/hold', request: undefined, response: ClusterPosition, timeoutMs: TIMEOUT.restart }),
  /** Starts a new cluster from this member's data alone (every member stopped, this one the most advanced); answers once it serves. */
  clusterBootstrap: route({ method: 'POST', path: '/cluster/bootstrap', request: undefined, response: Ok, timeoutMs: TIMEOUT.restart }),
  /** Starts the engine, which joins the members that run; answers at once (receiving the data may take long). */
  clusterRejoin: route({ method: 'POST', path: '/cluster/rejoin', request: undefined, response: Ok, timeoutMs: TIMEOUT.change }),
  /** On one member: joins every member (each started on its own, empty) into one cluster, and spreads the data over them. Asked again, it finishes what is left. */
  clusterForm: route({ method: 'POST', path: '/cluster/form', request: ClusterNodes, response: Ok, timeoutMs: TIMEOUT.move }),
  /** On a running member: brings new members (started on their own, empty) into the cluster and moves data onto them. Asked again, it finishes what is left. */
  clusterAdd: route({ method: 'POST', path: '/cluster/add', request: ClusterNodes, response: Ok, timeoutMs: TIMEOUT.move }),
  /** On a member that stays: moves the data off the members leaving and takes them out of the cluster. Asked again, it finishes what is left. */
  clusterRemove: route({ method: 'POST', path: '/cluster/remove', request: MembersChange, response: Ok, timeoutMs: TIMEOUT.move }),
};

export type Routes = typeof routes;
