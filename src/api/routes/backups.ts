import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { BackupService } from '../../backup/backup-service.js';
import type { DatastoreCatalog } from '../../catalog/registry.js';
import type { BackupTable } from '../../state/schema.js';
import { caller } from '../auth.js';
import { baseUrl } from '../links.js';
import { pageLinks, paginate } from '../pagination.js';
import { ACCEPTED, COMMON_FAULTS, Flag, FaultSchema, LinksSchema, PageQuery, PlainText, ProjectParams, TroveBoolean, isTrue } from '../schemas.js';
import { BackupSchema, BackupStrategySchema, backupStrategyView, backupView } from '../views/backup-view.js';

const PAGE_SIZE = 20;
const FAULTS = { ...COMMON_FAULTS, 409: FaultSchema, 422: FaultSchema };
const BackupParams = Type.Object({ tenant_id: Type.String(), id: Type.String() });
const Text = Type.Union([PlainText(0, 255), Type.Null()]);

const CreateBody = Type.Object({
  backup: Type.Object({
    name: PlainText(1, 255),
    instance: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Text),
    parent_id: Type.Optional(Text),
    incremental: Type.Optional(Flag()),
    swift_container: Type.Optional(Text),
  }),
});

const ListQuery = Type.Object({
  ...PageQuery.properties,
  instance_id: Type.Optional(Type.String()),
  datastore: Type.Optional(Type.String()),
  all_projects: Type.Optional(TroveBoolean),
  project_id: Type.Optional(Type.String()),
});

const StrategyQuery = Type.Object({ instance_id: Type.Optional(Type.String()), project_id: Type.Optional(Type.String()) });

/** Backups (Trove's /backups, /instances/{id}/backups) and backup strategies (/backup_strategies). */
export const backupRoutes: FastifyPluginAsyncTypebox<{ backups: BackupService; catalog: DatastoreCatalog; publicUrl: string }> = async (app, { backups, catalog, publicUrl }) => {
  const page = (request: FastifyRequest, rows: BackupTable[], query: { limit?: string; marker?: string }) => {
    const selected = paginate(rows, (b) => b.id, { limit: query.limit === undefined ? undefined : Number(query.limit), marker: query.marker }, PAGE_SIZE);
    return { backups: selected.items.map((b) => backupView(b, catalog)), links: pageLinks(request.url, baseUrl(request, publicUrl), selected.next) };
  };
  const listResponse = { 200: Type.Object({ backups: Type.Array(BackupSchema), links: LinksSchema }), ...FAULTS };

  app.post(
    '/backups',
    { schema: { tags: ['backups'], summary: 'Back up an instance (full, or incremental on parent_id / the newest backup)', params: ProjectParams, body: CreateBody, response: { 202: Type.Object({ backup: BackupSchema }), ...FAULTS } } },
    async (request, reply) => {
      const backup = await backups.create(caller(request), request.params.tenant_id, request.body.backup);
      return reply.code(202).send({ backup: backupView(backup, catalog) });
    },
  );

  app.get('/backups', { schema: { tags: ['backups'], summary: 'List backups, newest first (20 a page)', params: ProjectParams, querystring: ListQuery, response: listResponse } }, async (request) => {
    const { instance_id, datastore, all_projects } = request.query;
    const rows = await backups.list(caller(request), request.params.tenant_id, { ...(instance_id ? { instanceId: instance_id } : {}), ...(datastore ? { datastore } : {}), allProjects: isTrue(all_projects) });
    return page(request, rows, request.query);
  });

  app.get('/backups/:id', { schema: { tags: ['backups'], summary: 'Show a backup', params: BackupParams, response: { 200: Type.Object({ backup: BackupSchema }), ...FAULTS } } }, async (request) => ({
    backup: backupView(await backups.get(caller(request), request.params.tenant_id, request.params.id), catalog),
  }));

  app.delete('/backups/:id', { schema: { tags: ['backups'], summary: 'Delete a backup and the incrementals built on it', params: BackupParams, response: { ...ACCEPTED, ...FAULTS } } }, async (request, reply) => {
    await backups.delete(caller(request), request.params.tenant_id, request.params.id);
    return reply.code(202).send();
  });

  app.get('/instances/:id/backups', { schema: { tags: ['backups'], summary: "An instance's backups", params: BackupParams, querystring: PageQuery, response: listResponse } }, async (request) => {
    const rows = await backups.listOfInstance(caller(request), request.params.tenant_id, request.params.id);
    return page(request, rows, request.query);
  });

  app.post(
    '/backup_strategies',
    {
      schema: {
        tags: ['backups'],
        summary: "Set the container for the project's (or one instance's) backups",
        params: ProjectParams,
        body: Type.Object({ backup_strategy: Type.Object({ instance_id: Type.Optional(Type.String()), swift_container: Type.Optional(Type.String()) }) }),
        response: { 202: Type.Object({ backup_strategy: BackupStrategySchema }), ...FAULTS },
      },
    },
    async (request, reply) => {
      const row = await backups.setStrategy(caller(request), request.params.tenant_id, request.body.backup_strategy);
      return reply.code(202).send({ backup_strategy: backupStrategyView(row) });
    },
  );
  app.get(
    '/backup_strategies',
    { schema: { tags: ['backups'], summary: 'List backup strategies', params: ProjectParams, querystring: StrategyQuery, response: { 200: Type.Object({ backup_strategies: Type.Array(BackupStrategySchema) }), ...FAULTS } } },
    async (request) => {
      const rows = await backups.listStrategies(caller(request), request.params.tenant_id, { ...(request.query.instance_id ? { instanceId: request.query.instance_id } : {}), ...(request.query.project_id ? { projectId: request.query.project_id } : {}) });
      return { backup_strategies: rows.map(backupStrategyView) };
    },
  );
  app.delete('/backup_strategies', { schema: { tags: ['backups'], summary: 'Delete a backup strategy', params: ProjectParams, querystring: StrategyQuery, response: { ...ACCEPTED, ...FAULTS } } }, async (request, reply) => {
    await backups.deleteStrategy(caller(request), request.params.tenant_id, { ...(request.query.instance_id ? { instanceId: request.query.instance_id } : {}), ...(request.query.project_id ? { projectId: request.query.project_id } : {}) });
    return reply.code(202).send();
  });
};
