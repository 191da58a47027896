import { randomBytes } from 'node:crypto';
import { REPLICATION_USER, type ReplicationSource, type ReplicationStatus } from '../agent/replication-protocol.js';
import type { InstanceTable } from '../store/schema.js';
import type { Runtime } from './runtime.js';
import type { SecretBox } from './secrets.js';

/** A replica's name at its source: PostgreSQL's slot name, from the replica's id. */
export function slotOf(replicaId: string): string {
  return `replica_${replicaId.replace(/-/g, '_')}`;
}

/** A new set's replication password, sealed for the state store. */
export function newReplicationSecret(secrets: SecretBox): string {
  return secrets.seal(randomBytes(24).toString('base64url'));
}

/** What a replica is told to connect to, as whom, under which slot. */
export function replicationSourceFor(runtime: Runtime, source: InstanceTable, replicaId: string, sealedSecret: string): ReplicationSource {
  if (!source.address || !source.port) throw new Error(`the source ${source.id} has no address`);
  return { host: source.address, port: source.port, user: REPLICATION_USER, password: runtime.secrets.open(sealedSecret), slot: slotOf(replicaId) };
}

/** The members of a set that follow `sourceId`. */
export async function replicasOf(runtime: Runtime, sourceId: string): Promise<InstanceTable[]> {
  return runtime.instances.db.selectFrom('instances').selectAll().where('replica_of_id', '=', sourceId).where('deleted', '=', 0).orderBy('created_at').orderBy('id').execute();
}

export function observedReplication(instance: InstanceTable): ReplicationStatus | undefined {
  return instance.replication_status ? (JSON.parse(instance.replication_status) as ReplicationStatus) : undefined;
}
