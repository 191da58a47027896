import type { BackupObjects } from '../object-storage/backup-objects.js';
import type { BackupRecords } from '../state/backup-records.js';
import type { DatastoreCatalog } from '../catalog/registry.js';
import type { AddressAllocator, ComputeDriver, PlacementSpec } from '../compute/driver.js';
import type { InstanceRecords } from '../state/instance-records.js';
import type { QuotaService } from '../quota/quota-service.js';
import type { InstanceTable } from '../state/schema.js';
import type { PublicEndpoints } from './public-endpoints.js';
import { AgentClient } from '../agent/rpc/client.js';
import type { SecretBox } from '../common/secrets.js';
import type { TaskManager } from './task-manager.js';

/** What tasks and the reconciler work with. */
export interface Runtime {
  instances: InstanceRecords;
  driver: ComputeDriver;
  addresses: AddressAllocator;
  publicEndpoints: PublicEndpoints;
  catalog: DatastoreCatalog;
  quotas: QuotaService;
  secrets: SecretBox;
  tasks: TaskManager;
  backups: BackupRecords;
  backupObjects: BackupObjects;
}

/** Where and how an instance runs, from its row and its datastore's descriptor. */
export function placementOf(runtime: Runtime, instance: InstanceTable, address: string): PlacementSpec {
  const { descriptor } = runtime.catalog.get(instance.datastore);
  return {
    instanceId: instance.id,
    engine: descriptor.engine,
    engineVersion: instance.datastore_version,
    address,
    port: descriptor.defaultPort,
    volumeGb: instance.volume_size,
    ramMb: instance.ram_mb,
    vcpus: instance.vcpus,
  };
}

/**
 * Starts the instance's agent again if it is gone. The reconciler leaves busy instances alone,
 * so a task that finds its instance's agent dead (killed with the server that started it, or by
 * the host) revives it itself, or it would wait for an agent nobody starts until its deadline.
 */
export async function reviveAgent(runtime: Runtime, instanceId: string): Promise<void> {
  const instance = await runtime.instances.find(instanceId);
  if (instance?.address) await runtime.driver.ensureAgent(placementOf(runtime, instance, instance.address));
}

export function agentOf(runtime: Runtime, instanceId: string): AgentClient {
  return new AgentClient(runtime.driver.agentSocket(instanceId));
}
