import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CatalogVersion, DatastoreCatalog } from '../../catalog/registry.js';
import { NotFound } from '../../common/errors.js';
import type { FlavorService } from '../../flavor/flavor-service.js';
import { caller } from '../auth.js';
import { baseUrl } from '../links.js';
import type { FastifyRequest } from 'fastify';
import { pageLinks, paginate } from '../pagination.js';
import { COMMON_FAULTS, LinksSchema, PageQuery, ProjectParams } from '../schemas.js';
import { DatastoreSchema, VersionSchema, datastoreView, versionView } from '../views/datastore-view.js';
import { FlavorSchema, flavorView } from '../views/flavor-view.js';
import { ParameterSchema, parameterView } from '../views/parameter-view.js';

const DatastoreParams = Type.Object({ tenant_id: Type.String(), datastore: Type.String({ description: 'Datastore id or name' }) });
const VersionParams = Type.Object({ tenant_id: Type.String(), datastore: Type.String(), version: Type.String({ description: 'Version id or name' }) });

/** troveclient pages datastores and versions with limit and marker; without them, every one is listed. */
const MAX_PAGE = 1000;

export const datastoreRoutes: FastifyPluginAsyncTypebox<{ catalog: DatastoreCatalog; flavors: FlavorService; publicUrl: string }> = async (app, { catalog, flavors, publicUrl }) => {
  const page = <T extends { id: string }>(request: FastifyRequest, items: T[]) => {
    const { limit, marker } = request.query as { limit?: string; marker?: string };
    const selected = paginate(items, (item) => item.id, { limit: limit === undefined ? undefined : Number(limit), marker }, MAX_PAGE);
    return { items: selected.items, ...(selected.next !== undefined ? { links: pageLinks(request.url, baseUrl(request, publicUrl), selected.next) } : {}) };
  };
  app.get(
    '/datastores',
    {
      schema: {
        tags: ['datastores'],
        summary: 'List datastores and their versions',
        params: ProjectParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ datastores: Type.Array(DatastoreSchema), links: Type.Optional(LinksSchema) }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      const { isAdmin } = caller(request);
      const base = baseUrl(request, publicUrl);
      const { items, ...links } = page(request, catalog.list(isAdmin));
      return { datastores: items.map((ds) => datastoreView(ds, base, request.params.tenant_id, isAdmin)), ...links };
    },
  );

  app.get('/datastores/:datastore', { schema: { tags: ['datastores'], summary: 'Show a datastore', params: DatastoreParams, response: { 200: Type.Object({ datastore: DatastoreSchema }), ...COMMON_FAULTS } } }, async (request) => {
    const { isAdmin } = caller(request);
    const datastore = catalog.get(request.params.datastore, isAdmin);
    return { datastore: datastoreView(datastore, baseUrl(request, publicUrl), request.params.tenant_id, isAdmin) };
  });

  app.get(
    '/datastores/:datastore/versions',
    {
      schema: { tags: ['datastores'], summary: 'List the versions of a datastore', params: DatastoreParams, querystring: PageQuery, response: { 200: Type.Object({ versions: Type.Array(VersionSchema), links: Type.Optional(LinksSchema) }), ...COMMON_FAULTS } },
    },
    async (request) => {
      const { isAdmin } = caller(request);
      const base = baseUrl(request, publicUrl);
      const datastore = catalog.get(request.params.datastore, isAdmin);
      const { items, ...links } = page(request, datastore.versions);
      return { versions: items.map((v) => versionView(v, base, request.params.tenant_id, isAdmin, true)), ...links };
    },
  );

  app.get('/datastores/:datastore/versions/:version', { schema: { tags: ['datastores'], summary: 'Show a datastore version', params: VersionParams, response: { 200: Type.Object({ version: VersionSchema }), ...COMMON_FAULTS } } }, async (request) => {
    const { isAdmin } = caller(request);
    const datastore = catalog.get(request.params.datastore, isAdmin);
    const version = catalog.getVersion(datastore, request.params.version);
    return { version: versionView(version, baseUrl(request, publicUrl), request.params.tenant_id, isAdmin, true) };
  });

  app.get(
    '/datastores/:datastore/versions/:version/flavors',
    {
      schema: {
        tags: ['datastores'],
        summary: 'Flavors large enough for a datastore version',
        params: VersionParams,
        response: { 200: Type.Object({ flavors: Type.Array(FlavorSchema) }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      const { isAdmin } = caller(request);
      const datastore = catalog.get(request.params.datastore, isAdmin);
      catalog.getVersion(datastore, request.params.version);
      const base = baseUrl(request, publicUrl);
      const fitting = (await flavors.list()).filter((f) => f.ram >= datastore.descriptor.minRamMb);
      return { flavors: fitting.map((f) => flavorView(f, base, request.params.tenant_id)) };
    },
  );

  app.get(
    '/datastores/versions/:id',
    {
      schema: {
        tags: ['datastores'],
        summary: 'Show a datastore version by id',
        params: Type.Object({ tenant_id: Type.String(), id: Type.String() }),
        response: { 200: Type.Object({ version: VersionSchema }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      const { isAdmin } = caller(request);
      const version = catalog.getVersionById(request.params.id, isAdmin);
      return { version: versionView(version, baseUrl(request, publicUrl), request.params.tenant_id, isAdmin, true) };
    },
  );
  const ParametersBody = Type.Object({ 'configuration-parameters': Type.Array(ParameterSchema) });
  const parameterOf = (version: CatalogVersion, name: string) => {
    const rule = catalog.get(version.datastoreId).descriptor.parameters.find((r) => r.name === name);
    if (!rule) throw new NotFound(`No configuration parameter named '${name}' for datastore version ${version.datastoreName} ${version.name}.`);
    return parameterView(rule, version.id);
  };
  const parametersOf = (version: CatalogVersion) => ({ 'configuration-parameters': catalog.get(version.datastoreId).descriptor.parameters.map((r) => parameterView(r, version.id)) });
  const versionOf = (datastore: string, version: string, isAdmin: boolean) => catalog.getVersion(catalog.get(datastore, isAdmin), version);

  app.get(
    '/datastores/:datastore/versions/:version/parameters',
    { schema: { tags: ['configurations'], summary: 'Configuration parameters of a datastore version', params: VersionParams, response: { 200: ParametersBody, ...COMMON_FAULTS } } },
    async (request) => parametersOf(versionOf(request.params.datastore, request.params.version, caller(request).isAdmin)),
  );
  app.get(
    '/datastores/:datastore/versions/:version/parameters/:name',
    { schema: { tags: ['configurations'], summary: 'One configuration parameter', params: Type.Object({ ...VersionParams.properties, name: Type.String() }), response: { 200: ParameterSchema, ...COMMON_FAULTS } } },
    async (request) => parameterOf(versionOf(request.params.datastore, request.params.version, caller(request).isAdmin), request.params.name),
  );
  app.get(
    '/datastores/versions/:id/parameters',
    { schema: { tags: ['configurations'], summary: 'Configuration parameters of a datastore version (by id)', params: Type.Object({ tenant_id: Type.String(), id: Type.String() }), response: { 200: ParametersBody, ...COMMON_FAULTS } } },
    async (request) => parametersOf(catalog.getVersionById(request.params.id, caller(request).isAdmin)),
  );
  app.get(
    '/datastores/versions/:id/parameters/:name',
    { schema: { tags: ['configurations'], summary: 'One configuration parameter (by version id)', params: Type.Object({ tenant_id: Type.String(), id: Type.String(), name: Type.String() }), response: { 200: ParameterSchema, ...COMMON_FAULTS } } },
    async (request) => parameterOf(catalog.getVersionById(request.params.id, caller(request).isAdmin), request.params.name),
  );
};
