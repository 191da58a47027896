import { DatastoreCatalog, type VersionDiscoverer } from '../catalog/registry.js';
import { DESCRIPTORS } from '../catalog/datastores/index.js';
import type { Settings } from '../config/schema.js';
import { FlavorService } from '../flavor/flavor-service.js';
import { IdentityService } from '../identity/identity-service.js';
import { QuotaService } from '../quota/quota-service.js';
import { migrateToLatest, openStore, type OpenedStore } from '../store/database.js';

/** Everything the control plane is made of, built from settings in one place. */
export interface Services {
  settings: Settings;
  store: OpenedStore;
  identity: IdentityService;
  flavors: FlavorService;
  quotas: QuotaService;
  catalog: DatastoreCatalog;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Replaces the probe of installed engines (tests use it to describe a host). */
  discover?: VersionDiscoverer;
  /** Skip building the catalog (offline admin commands do not need it). */
  withoutCatalog?: boolean;
}

export async function createServices(settings: Settings, options: ServiceOptions = {}): Promise<Services> {
  const store = openStore(settings.database.url, settings.data_dir);
  try {
    await migrateToLatest(store.db);
    const catalog = options.withoutCatalog
      ? await DatastoreCatalog.build([], { disabled: [], versions: [] })
      : await DatastoreCatalog.build(DESCRIPTORS, settings.catalog, options.discover);
    return {
      settings,
      store,
      identity: new IdentityService(store.db, settings.identity.token_ttl_seconds),
      flavors: new FlavorService(store.db),
      quotas: new QuotaService(store.db, settings.quotas),
      catalog,
      close: () => store.db.destroy(),
    };
  } catch (err) {
    await store.db.destroy();
    throw err;
  }
}
