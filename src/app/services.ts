import { ServerMetrics } from '../metrics/server-metrics.js';
import { observeFleet } from './fleet-metrics.js';
import { join, resolve } from 'node:path';
import { BackupService, type BackupInstances } from '../backup/backup-service.js';
import { BackupObjects } from '../object-storage/backup-objects.js';
import { BackupRecords } from '../state/backup-records.js';
import { BackupKeyring } from '../object-storage/backup-keyring.js';
import { RestorePlanner } from '../backup/restore-planner.js';
import { createBackupTask, deleteBackupsTask } from '../backup/tasks/backup-tasks.js';
import type { ObjectStoreSpec } from '../object-storage/store-spec.js';
import { DatastoreCatalog, type VersionDiscoverer } from '../catalog/registry.js';
import { DESCRIPTORS } from '../catalog/descriptors/index.js';
import { createLogger, type Logger } from '../common/log.js';
import type { ComputeDriver } from '../compute/driver.js';
import { LocalDriver } from '../compute/local/local-driver.js';
import type { Settings } from '../settings/schema.js';
import { AddressPool } from '../compute/local/address-pool.js';
import { defaultClaimsDir, HostAddressClaims } from '../compute/local/host-address-claims.js';
import { PublicEndpoints, publicSpace } from '../control/public-endpoints.js';
import { updateAccessTask } from '../instance/tasks/access-tasks.js';
import { Reconciler } from '../control/reconciler.js';
import type { Runtime } from '../control/runtime.js';
import { SecretBox } from '../common/secrets.js';
import { TaskManager } from '../control/task-manager.js';
import { configureInstanceTask } from '../configuration-groups/tasks/configuration-tasks.js';
import { ConfigurationService } from '../configuration-groups/configuration-service.js';
import { createInstanceTask, deleteInstanceTask, rebuildInstanceTask, resizeFlavorTask, resizeVolumeTask, restartInstanceTask } from '../instance/tasks/instance-tasks.js';
import { FlavorService } from '../flavor/flavor-service.js';
import { IdentityService } from '../identity/identity-service.js';
import { GuestDataService } from '../instance/guest-data-service.js';
import { GuestLogService } from '../instance/guest-log-service.js';
import { InstanceService } from '../instance/instance-service.js';
import { InstanceRecords } from '../state/instance-records.js';
import { ReplicationService } from '../instance/replication-service.js';
import { deriveStatus } from '../instance/status.js';
import { detachReplicaTask, ejectSourceTask, promoteReplicaTask } from '../instance/tasks/replication-tasks.js';
import { QuotaService } from '../quota/quota-service.js';
import { ClusterService } from '../cluster/cluster-service.js';
import { ClusterRootService } from '../cluster/cluster-root.js';
import { createClusterTask, deleteClusterTask, growClusterTask, shrinkClusterTask } from '../cluster/tasks/cluster-tasks.js';
import { restartStoppedClusterTask } from '../cluster/tasks/cluster-restart.js';
import { configureClusterTask, restartClusterTask } from '../cluster/tasks/cluster-rolling.js';
import { StoppedClusterWatch } from '../cluster/stopped-cluster-watch.js';
import { ClusterRecords } from '../state/cluster-records.js';
import { migrateToLatest, openStore, type OpenedStore } from '../state/database.js';

/** Everything the control plane is made of, built from settings in one place. */
/** The longest a cluster task that moves data may take: the agent's limit for one move (30 min) and some. */
const MOVE_DEADLINE_SECONDS = 3600;

export interface Services {
  settings: Settings;
  /** This process's Prometheus metrics (scraped at settings.metrics.listen_address). */
  metrics: ServerMetrics;
  store: OpenedStore;
  identity: IdentityService;
  flavors: FlavorService;
  quotas: QuotaService;
  catalog: DatastoreCatalog;
  instances: InstanceService;
  clusters: ClusterService;
  clusterRoot: ClusterRootService;
  replication: ReplicationService;
  guestData: GuestDataService;
  guestLogs: GuestLogService;
  backups: BackupService;
  configurations: ConfigurationService;
  runtime: Runtime;
  reconciler: Reconciler;
  /** Starts the task manager and the status reconciler (what `serve` runs beside the API). */
  startBackground(): void;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Replaces the probe of installed engines (tests use it to describe a host). */
  discover?: VersionDiscoverer;
  /** Skip building the catalog (offline admin commands do not need it). */
  withoutCatalog?: boolean;
  logger?: Logger;
  /** Replaces the compute driver (tests of the control plane alone). */
  driver?: ComputeDriver;
}

/** Where published logs and backups go, as the agents are told too. */
function objectStoreSpec(settings: Settings): ObjectStoreSpec {
  const store = settings.object_store;
  if (store.driver === 's3') {
    const { endpoint, region, access_key, secret_key, force_path_style, bucket_prefix } = store;
    return { driver: 's3', endpoint, region, access_key, secret_key, force_path_style, bucket_prefix };
  }
  // Agents run in other folders: they get an absolute path.
  return { driver: 'local', path: resolve(store.path || join(settings.data_dir, 'objects')) };
}

export async function createServices(settings: Settings, options: ServiceOptions = {}): Promise<Services> {
  const log = options.logger ?? createLogger('silent');
  const store = openStore(settings.database.url, settings.data_dir);
  try {
    await migrateToLatest(store.db);
    const driver = options.driver ?? new LocalDriver({ root: join(settings.data_dir, 'instances'), loopVolumes: settings.compute.loop_volumes, logLevel: settings.log.level === 'silent' ? 'warn' : settings.log.level }, log.child({ component: 'local-driver' }));
    const catalog = options.withoutCatalog ? await DatastoreCatalog.build([], { disabled: [], versions: [] }) : await DatastoreCatalog.build(DESCRIPTORS, settings.catalog, options.discover, driver.imageId());
    const flavors = new FlavorService(store.db);
    const quotas = new QuotaService(store.db, settings.quotas);
    const metrics = new ServerMetrics();
    const tasks = new TaskManager(store.db, settings.tasks, log.child({ component: 'tasks' }), metrics);
    const instanceRecords = new InstanceRecords(store.db);
    const backupRecords = new BackupRecords(store.db);
    const keyring = new BackupKeyring(settings.backups.encryption_key_file || join(settings.data_dir, 'backup.key'), settings.backups.previous_key_files);
    const backupObjects = await BackupObjects.open(objectStoreSpec(settings), keyring, settings.backups.container);
    // Only the local driver's addresses are this host's to share with other servers.
    const claims = options.driver ? undefined : new HostAddressClaims(settings.compute.address_claims_dir || defaultClaimsDir(), settings.data_dir);
    const addresses = new AddressPool(store.db, settings.compute.address_pool, claims);
    for (const held of await addresses.reclaim()) log.error(held, 'another server on this host holds the address of this instance; its engine cannot listen until that is resolved');
    const runtime: Runtime = {
      instances: instanceRecords,
      driver,
      addresses,
      publicEndpoints: new PublicEndpoints(store.db, publicSpace(settings.compute, settings.server.host)),
      catalog,
      quotas,
      secrets: new SecretBox(settings.secret_key_file || join(settings.data_dir, 'secret.key')),
      tasks,
      backups: backupRecords,
      backupObjects,
    };
    tasks.register(createInstanceTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(deleteInstanceTask(runtime, settings.tasks.delete_timeout_seconds));
    tasks.register(restartInstanceTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(resizeVolumeTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(resizeFlavorTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(createBackupTask(runtime, settings.backups.timeout_seconds));
    tasks.register(deleteBackupsTask(runtime, settings.tasks.delete_timeout_seconds));
    tasks.register(rebuildInstanceTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(updateAccessTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(configureInstanceTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(detachReplicaTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(promoteReplicaTask(runtime, settings.tasks.build_timeout_seconds));
    tasks.register(ejectSourceTask(runtime, settings.tasks.build_timeout_seconds));
    const clusterRecords = new ClusterRecords(store.db);
    // A cluster's members build one after another where they must (the first, then the rest).
    // Forming, growing and shrinking may move data between members (a reshard): up to the agent's half hour for that.
    const movingSeconds = (seconds: number) => Math.max(2 * seconds, MOVE_DEADLINE_SECONDS);
    tasks.register(createClusterTask(runtime, clusterRecords, movingSeconds(settings.tasks.build_timeout_seconds)));
    tasks.register(growClusterTask(runtime, clusterRecords, movingSeconds(settings.tasks.build_timeout_seconds)));
    tasks.register(shrinkClusterTask(runtime, clusterRecords, movingSeconds(settings.tasks.delete_timeout_seconds)));
    tasks.register(deleteClusterTask(runtime, clusterRecords, 2 * settings.tasks.delete_timeout_seconds));
    tasks.register(restartStoppedClusterTask(runtime, clusterRecords, 2 * settings.tasks.build_timeout_seconds));
    tasks.register(configureClusterTask(runtime, clusterRecords, 2 * settings.tasks.build_timeout_seconds));
    tasks.register(restartClusterTask(runtime, clusterRecords, 2 * settings.tasks.build_timeout_seconds));
    const configurations = new ConfigurationService(runtime, catalog, tasks, log.child({ component: 'configurations' }), settings.configuration.strict_memory_budget);
    const instances = new InstanceService(
      instanceRecords,
      flavors,
      catalog,
      quotas,
      tasks,
      settings.compute.max_volume_gb,
      new RestorePlanner(backupRecords, keyring),
      configurations,
      runtime.secrets,
      runtime.publicEndpoints,
      settings.catalog.default_datastore,
    );
    const clusters = new ClusterService(clusterRecords, flavors, catalog, quotas, tasks, runtime.secrets, settings.compute.max_volume_gb, configurations);
    const guestData = new GuestDataService(instances, instanceRecords, catalog, runtime.driver, log.child({ component: 'guest-data' }));
    const reconcilerLog = log.child({ component: 'reconciler' });
    const stoppedClusters = new StoppedClusterWatch(runtime, clusterRecords, settings.clusters.restart_after_seconds * 1000, reconcilerLog);
    const reconciler = new Reconciler(runtime, settings.tasks.reconcile_seconds * 1000, reconcilerLog, settings.replication.failover_after_seconds * 1000, [stoppedClusters]);
    observeFleet(metrics, store.db, reconciler);
    return {
      settings,
      metrics,
      store,
      identity: new IdentityService(store.db, settings.identity.token_ttl_seconds, {
        failuresPerUser: settings.identity.login_failures_per_user,
        failuresPerSource: settings.identity.login_failures_per_source,
        windowSeconds: settings.identity.login_failure_window_seconds,
      }),
      flavors,
      quotas,
      catalog,
      instances,
      clusters,
      clusterRoot: new ClusterRootService(clusters, clusterRecords, guestData),
      replication: new ReplicationService(instances, instanceRecords, tasks, runtime.driver, log.child({ component: 'replication' })),
      guestData,
      guestLogs: new GuestLogService(instances, catalog, runtime.driver, backupObjects.store),
      backups: new BackupService(backupRecords, backupInstances(instances), catalog, quotas, tasks, backupObjects),
      configurations,
      runtime,
      reconciler,
      startBackground: () => {
        tasks.start();
        reconciler.start();
      },
      close: async () => {
        reconciler.stop();
        await tasks.stop();
        await store.db.destroy();
      },
    };
  } catch (err) {
    await store.db.destroy();
    throw err;
  }
}

/** The instance service as backups see it: a lookup and an instance's API status. */
function backupInstances(instances: InstanceService): BackupInstances {
  return {
    get: (caller, projectId, instanceId) => instances.get(caller, projectId, instanceId),
    statusOf: (instance) =>
      deriveStatus({ taskStatus: instance.task_status, serviceStatus: instance.service_status, lastContactAt: instance.last_contact_at ? new Date(instance.last_contact_at) : undefined, hasFault: instance.fault_message !== null }, new Date()).status,
  };
}
