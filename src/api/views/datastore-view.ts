import { Type, type Static } from 'typebox';
import type { CatalogDatastore, CatalogVersion } from '../../catalog/registry.js';
import { LinksSchema } from '../schemas.js';
import { resourceLinks } from '../links.js';

export const VersionSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  version: Type.String(),
  links: LinksSchema,
  datastore: Type.Optional(Type.String()),
  active: Type.Optional(Type.Boolean({ description: 'admins only' })),
  packages: Type.Optional(Type.Array(Type.String(), { description: 'admins only' })),
  image: Type.Optional(Type.String({ description: 'admins only' })),
  image_tags: Type.Optional(Type.Array(Type.String(), { description: 'admins only' })),
  installed: Type.Optional(Type.Boolean({ description: 'admins only: the engine is on this host' })),
});

const CapabilitiesSchema = Type.Object({
  databases: Type.Boolean(),
  users: Type.Boolean(),
  root: Type.Boolean(),
  configuration: Type.Boolean(),
  backup: Type.Object({ full: Type.Boolean(), incremental: Type.Boolean() }),
  replication: Type.Boolean(),
  clusters: Type.Boolean(),
});

export const DatastoreSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  links: LinksSchema,
  versions: Type.Array(VersionSchema),
  default_version: Type.Optional(Type.String()),
  description: Type.String(),
  default_port: Type.Integer(),
  capabilities: CapabilitiesSchema,
  log_types: Type.Array(Type.String()),
  min_ram: Type.Integer({ description: 'smallest flavor RAM (MB) the datastore runs in' }),
});

export function versionView(version: CatalogVersion, base: string, projectId: string, isAdmin: boolean, withDatastore: boolean): Static<typeof VersionSchema> {
  const view: Static<typeof VersionSchema> = {
    id: version.id,
    name: version.name,
    version: version.version,
    links: resourceLinks(base, projectId, 'datastores/versions', version.id),
  };
  if (withDatastore) view.datastore = version.datastoreId;
  if (isAdmin) {
    view.active = version.active;
    view.packages = version.packages;
    view.image = version.image;
    view.image_tags = [];
    view.installed = version.installed;
  }
  return view;
}

/** Trove's datastore view, plus what the datastore can do so clients need not guess. */
export function datastoreView(datastore: CatalogDatastore, base: string, projectId: string, isAdmin: boolean) {
  const { descriptor } = datastore;
  return {
    id: datastore.id,
    name: datastore.name,
    links: resourceLinks(base, projectId, 'datastores', datastore.id),
    versions: datastore.versions.map((v) => versionView(v, base, projectId, isAdmin, false)),
    ...(datastore.defaultVersionId ? { default_version: datastore.defaultVersionId } : {}),
    description: descriptor.description,
    default_port: descriptor.defaultPort,
    capabilities: descriptor.capabilities,
    log_types: descriptor.logs.map((l) => l.name),
    min_ram: descriptor.minRamMb,
  };
}
