import { Type } from 'typebox';
import { troveTime } from '../../common/time.js';
import { statusOfInstance } from '../../instance/status.js';
import { CLUSTER_TASKS } from '../../cluster/cluster-task-names.js';
import type { ClusterTable, InstanceTable } from '../../state/schema.js';
import { resourceLinks } from '../links.js';
import { LinksSchema } from '../schemas.js';

const MemberSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  links: LinksSchema,
  status: Type.Optional(Type.String()),
  flavor: Type.Optional(Type.Object({ id: Type.String(), links: LinksSchema })),
  volume: Type.Optional(Type.Object({ size: Type.Integer() })),
  ip: Type.Optional(Type.Array(Type.String())),
});

export const ClusterSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  task: Type.Object({ id: Type.Integer(), name: Type.String(), description: Type.String() }),
  created: Type.String(),
  updated: Type.String(),
  links: LinksSchema,
  datastore: Type.Object({ type: Type.String(), version: Type.String() }),
  instances: Type.Array(MemberSchema),
  ip: Type.Optional(Type.Array(Type.String({ description: "a member's address: clients may connect to any" }))),
  configuration: Type.Optional(Type.String({ description: 'the id of the configuration group every member runs' })),
  fault: Type.Optional(Type.Object({ message: Type.String(), created: Type.String() })),
  tenant_id: Type.Optional(Type.String({ description: 'admins only' })),
});

/**
 * Trove's cluster view. `detailed` (show, create) adds each member's status, flavor, volume and
 * addresses, and the cluster's `ip`: every member's first address, sorted.
 */
export function clusterView(cluster: ClusterTable, members: InstanceTable[], base: string, projectId: string, isAdmin: boolean, detailed: boolean, now = new Date()) {
  const ips: string[] = [];
  const instances = members.map((m) => {
    if (detailed && m.address) ips.push(m.address);
    return {
      id: m.id,
      name: m.name,
      type: m.cluster_member_type ?? '',
      links: resourceLinks(base, projectId, 'instances', m.id),
      ...(detailed
        ? {
            status: statusOfInstance(m, now).status,
            flavor: { id: m.flavor_id, links: resourceLinks(base, projectId, 'flavors', m.flavor_id) },
            volume: { size: m.volume_size },
            ...(m.address ? { ip: [m.address] } : {}),
          }
        : {}),
    };
  });
  ips.sort();
  const configuration = members.find((m) => m.configuration_id !== null)?.configuration_id;
  return {
    id: cluster.id,
    name: cluster.name,
    task: CLUSTER_TASKS[cluster.task],
    created: troveTime(new Date(cluster.created_at)),
    updated: troveTime(new Date(cluster.updated_at)),
    links: resourceLinks(base, projectId, 'clusters', cluster.id),
    datastore: { type: cluster.datastore, version: cluster.datastore_version },
    instances,
    ...(ips.length > 0 ? { ip: ips } : {}),
    ...(configuration ? { configuration } : {}),
    ...(cluster.fault_message ? { fault: { message: cluster.fault_message, created: troveTime(new Date(cluster.fault_created ?? cluster.updated_at)) } } : {}),
    ...(isAdmin ? { tenant_id: cluster.project_id } : {}),
  };
}
