import { newId } from '../common/ids.js';
import type { ConfigurationValues } from '../configuration-groups/values.js';
import type { InstanceTable } from '../state/schema.js';

/** What a new instance's row is made of; every other column starts as a build that has not begun. */
export type NewInstanceFields = Pick<InstanceTable, 'project_id' | 'name' | 'flavor_id' | 'ram_mb' | 'vcpus' | 'volume_size' | 'datastore' | 'datastore_version' | 'datastore_version_full'> &
  Partial<Pick<InstanceTable, 'replica_of_id' | 'replication_secret' | 'auto_failover' | 'access_public' | 'access_cidrs' | 'cluster_id' | 'cluster_member_type'>> & {
    /** The configuration group it is built with, and the group's values for its flavor. */
    configuration?: { id: string; values: ConfigurationValues };
  };

/** The row of an instance about to be built (a standalone instance, a replica or a cluster member). */
export function newInstanceRow({ configuration, ...fields }: NewInstanceFields, now: string): InstanceTable {
  return {
    id: newId(),
    task_status: 'BUILDING',
    address: null,
    port: null,
    server_status: 'BUILD',
    service_status: 'NEW',
    service_status_updated: now,
    last_contact_at: null,
    volume_used_bytes: null,
    fault_message: null,
    fault_details: null,
    fault_created: null,
    deleted: 0,
    deleted_at: null,
    created_at: now,
    updated_at: now,
    root_enabled_at: null,
    configuration_id: configuration?.id ?? null,
    applied_configuration: configuration ? JSON.stringify(configuration.values) : null,
    restart_required: 0,
    replica_of_id: null,
    replication_secret: null,
    replication_status: null,
    auto_failover: 0,
    access_public: 0,
    access_cidrs: '[]',
    cluster_id: null,
    cluster_member_type: null,
    ...fields,
  };
}
