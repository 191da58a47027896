import { ConfigError, NotFound } from '../common/errors.js';
import { stableUuid } from '../common/ids.js';
import type { CatalogSettings } from '../settings/schema.js';
import type { DatastoreDescriptor, VersionProbe } from './descriptor.js';
import { discoverVersions, type InstalledVersion } from './discovery.js';

export interface CatalogVersion {
  id: string;
  datastoreId: string;
  datastoreName: string;
  /** The name users pass as the datastore version ("10.11"). */
  name: string;
  /** The engine's full version ("10.11.19"), or the name for configured versions. */
  version: string;
  active: boolean;
  /** True when the engine is on this host; false for versions only configured. */
  installed: boolean;
  image: string;
  packages: string[];
}

export interface CatalogDatastore {
  id: string;
  name: string;
  descriptor: DatastoreDescriptor;
  versions: CatalogVersion[];
  defaultVersionId: string | undefined;
}

export type VersionDiscoverer = (probe: VersionProbe) => Promise<InstalledVersion[]>;

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The datastore catalog: every datastore whose engine is installed on this host (or whose
 * versions are configured), with stable ids derived from names. Built once at start.
 */
export class DatastoreCatalog {
  private constructor(private readonly datastores: CatalogDatastore[]) {}

  /** `installedImage`: the image the compute driver builds guests of installed versions from. */
  static async build(descriptors: readonly DatastoreDescriptor[], settings: Pick<CatalogSettings, 'disabled' | 'versions'>, discover: VersionDiscoverer = discoverVersions, installedImage = ''): Promise<DatastoreCatalog> {
    settings.versions.forEach((extra, index) => {
      if (!descriptors.some((d) => d.name === extra.datastore)) {
        throw new ConfigError(`catalog.versions[${index}].datastore: unknown datastore "${extra.datastore}"; known: ${descriptors.map((d) => d.name).join(', ')}`);
      }
    });
    settings.disabled.forEach((name, index) => {
      if (!descriptors.some((d) => d.name === name)) throw new ConfigError(`catalog.disabled[${index}]: unknown datastore "${name}"`);
    });
    // Several datastores may share one engine probe; ask each executable once.
    const probed = new Map<string, Promise<InstalledVersion[]>>();
    const datastores: CatalogDatastore[] = [];
    for (const descriptor of descriptors) {
      if (settings.disabled.includes(descriptor.name)) continue;
      const key = JSON.stringify(descriptor.probe);
      if (!probed.has(key)) probed.set(key, discover(descriptor.probe));
      const installed = await probed.get(key)!;
      const id = stableUuid(`datastore:${descriptor.name}`);
      const version = (name: string, full: string, active: boolean, isInstalled: boolean, image: string): CatalogVersion => ({
        id: stableUuid(`datastore-version:${descriptor.name}:${name}`),
        datastoreId: id,
        datastoreName: descriptor.name,
        name,
        version: full,
        active,
        installed: isInstalled,
        image,
        packages: descriptor.packages,
      });
      const versions = installed.map((v) => version(v.name, v.full, true, true, installedImage));
      for (const extra of settings.versions.filter((v) => v.datastore === descriptor.name)) {
        const existing = versions.find((v) => v.name === extra.version);
        if (existing) {
          existing.active = extra.active;
          if (extra.image) existing.image = extra.image;
        } else {
          versions.push(version(extra.version, extra.version, extra.active, false, extra.image));
        }
      }
      if (versions.length === 0) continue;
      versions.sort((a, b) => compareVersions(a.name, b.name));
      const defaultVersion = versions.filter((v) => v.active).pop();
      datastores.push({ id, name: descriptor.name, descriptor, versions, defaultVersionId: defaultVersion?.id });
    }
    return new DatastoreCatalog(datastores);
  }

  /** Datastores with the versions the caller may see (admins also see inactive ones). */
  list(includeInactive: boolean): CatalogDatastore[] {
    return this.datastores.map((ds) => ({ ...ds, versions: ds.versions.filter((v) => includeInactive || v.active) })).filter((ds) => ds.versions.length > 0);
  }

  find(idOrName: string, includeInactive = true): CatalogDatastore | undefined {
    return this.list(includeInactive).find((ds) => ds.id === idOrName || ds.name === idOrName);
  }

  get(idOrName: string, includeInactive = true): CatalogDatastore {
    const datastore = this.find(idOrName, includeInactive);
    if (!datastore) throw new NotFound(`Datastore '${idOrName}' cannot be found.`);
    return datastore;
  }

  getVersion(datastore: CatalogDatastore, idOrName: string): CatalogVersion {
    const version = datastore.versions.find((v) => v.id === idOrName || v.name === idOrName);
    if (!version) throw new NotFound(`Datastore version '${idOrName}' cannot be found for datastore '${datastore.name}'.`);
    return version;
  }

  getVersionById(id: string, includeInactive = true): CatalogVersion {
    for (const datastore of this.list(includeInactive)) {
      const version = datastore.versions.find((v) => v.id === id);
      if (version) return version;
    }
    throw new NotFound(`Datastore version '${id}' cannot be found.`);
  }
}
