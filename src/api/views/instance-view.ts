import { Type } from 'typebox';
import { troveTime } from '../../common/time.js';
import { accessOf } from '../../instance/access.js';
import { statusOfInstance } from '../../instance/status.js';
import type { InstanceTable } from '../../state/schema.js';
import { resourceLinks } from '../links.js';
import { LinksSchema } from '../schemas.js';
import { parseOwn } from '../../common/json.js';

const GB = 1024 ** 3;

export const InstanceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.String(),
  operating_status: Type.String(),
  links: LinksSchema,
  flavor: Type.Object({ id: Type.String(), links: LinksSchema }),
  datastore: Type.Object({ type: Type.String(), version: Type.String(), version_number: Type.String() }),
  region: Type.String(),
  access: Type.Object({ is_public: Type.Boolean(), allowed_cidrs: Type.Array(Type.String()) }, { description: 'public: also published on the host’s public address; allowed_cidrs: the only networks that may connect (empty: any)' }),
  volume: Type.Object({ size: Type.Integer(), used: Type.Optional(Type.Number({ description: 'GB in use' })) }),
  ip: Type.Optional(Type.Array(Type.String())),
  addresses: Type.Optional(
    Type.Array(Type.Object({ address: Type.String(), type: Type.String({ description: 'private or public' }), network: Type.Optional(Type.String()), port: Type.Optional(Type.Integer({ description: "the engine's port at that address" })) })),
  ),
  port: Type.Optional(Type.Integer({ description: "the engine's port at that address" })),
  created: Type.String(),
  updated: Type.String(),
  service_status_updated: Type.String(),
  fault: Type.Optional(Type.Object({ message: Type.String(), created: Type.String(), details: Type.String() })),
  configuration: Type.Optional(Type.Object({ id: Type.String(), name: Type.String(), links: LinksSchema })),
  tenant_id: Type.Optional(Type.String({ description: 'admins only' })),
  replica_of: Type.Optional(Type.Object({ id: Type.String(), links: LinksSchema })),
  replicas: Type.Optional(Type.Array(Type.Object({ id: Type.String(), links: LinksSchema }))),
  replication: Type.Optional(
    Type.Object(
      {
        role: Type.String(),
        streaming: Type.Boolean(),
        position: Type.String(),
        lag_seconds: Type.Optional(Type.Number()),
        error: Type.Optional(Type.String()),
      },
      { description: "what the instance's engine last said of its replication" },
    ),
  ),
  auto_failover: Type.Optional(Type.Boolean({ description: 'this source fails over to its most advanced replica when it stays down' })),
  cluster_id: Type.Optional(Type.String({ description: 'the cluster this instance is a member of' })),
  pending_tasks: Type.Optional(Type.Array(Type.String(), { description: 'work still to be done on the instance (task kinds such as instance.configure), oldest first' })),
});

/** Trove's instance view: status derived from the task and what the agent last said. */
export interface InstanceViewExtras {
  configurationName?: string;
  pendingTasks?: string[];
  /** The ids of the instance's replicas, if it is a source. */
  replicaIds?: string[];
  /** Where it is published, when public. */
  publicEndpoint?: { address: string; port: number };
}

export function instanceView(instance: InstanceTable, base: string, projectId: string, region: string, isAdmin: boolean, extras: InstanceViewExtras = {}, now = new Date()) {
  const { configurationName, pendingTasks = [], replicaIds = [], publicEndpoint } = extras;
  const access = accessOf(instance);
  const replication = instance.replication_status ? parseOwn<{ role: string; streaming: boolean; position: string; lag_seconds?: number; error?: string }>(instance.replication_status) : undefined;
  const derived = statusOfInstance(instance, now);
  const fault = instance.fault_message
    ? { message: instance.fault_message, created: troveTime(new Date(instance.fault_created ?? instance.updated_at)), details: instance.fault_details ?? '' }
    : derived.unreachableSince
      ? { message: `Guest agent unreachable since ${troveTime(derived.unreachableSince)}`, created: troveTime(derived.unreachableSince), details: 'The control plane is retrying; the instance returns to ACTIVE when its agent answers.' }
      : undefined;
  return {
    id: instance.id,
    name: instance.name,
    status: derived.status,
    operating_status: derived.operatingStatus,
    links: resourceLinks(base, projectId, 'instances', instance.id),
    flavor: { id: instance.flavor_id, links: resourceLinks(base, projectId, 'flavors', instance.flavor_id) },
    datastore: { type: instance.datastore, version: instance.datastore_version, version_number: instance.datastore_version_full },
    region,
    access: { is_public: access.isPublic, allowed_cidrs: access.allowedCidrs },
    volume: { size: instance.volume_size, ...(instance.volume_used_bytes !== null ? { used: Math.round((instance.volume_used_bytes / GB) * 100) / 100 } : {}) },
    ...(instance.address
      ? {
          ip: [instance.address, ...(publicEndpoint ? [publicEndpoint.address] : [])],
          addresses: [{ address: instance.address, type: 'private', network: 'local' }, ...(publicEndpoint ? [{ address: publicEndpoint.address, type: 'public', port: publicEndpoint.port }] : [])],
          ...(instance.port ? { port: instance.port } : {}),
        }
      : {}),
    created: troveTime(new Date(instance.created_at)),
    updated: troveTime(new Date(instance.updated_at)),
    service_status_updated: troveTime(new Date(instance.service_status_updated)),
    ...(fault ? { fault } : {}),
    ...(instance.configuration_id ? { configuration: { id: instance.configuration_id, name: configurationName ?? '', links: resourceLinks(base, projectId, 'configurations', instance.configuration_id) } } : {}),
    ...(isAdmin ? { tenant_id: instance.project_id } : {}),
    ...(instance.replica_of_id ? { replica_of: { id: instance.replica_of_id, links: resourceLinks(base, projectId, 'instances', instance.replica_of_id) } } : {}),
    ...(replicaIds.length > 0 ? { replicas: replicaIds.map((id) => ({ id, links: resourceLinks(base, projectId, 'instances', id) })) } : {}),
    ...(replication && (instance.replica_of_id || replicaIds.length > 0 || replication.role !== 'source')
      ? {
          replication: {
            role: replication.role,
            streaming: replication.streaming,
            position: replication.position,
            ...(replication.lag_seconds !== undefined ? { lag_seconds: replication.lag_seconds } : {}),
            ...(replication.error ? { error: replication.error } : {}),
          },
        }
      : {}),
    ...(instance.auto_failover === 1 ? { auto_failover: true } : {}),
    ...(instance.cluster_id ? { cluster_id: instance.cluster_id } : {}),
    ...(pendingTasks.length > 0 ? { pending_tasks: pendingTasks } : {}),
  };
}
