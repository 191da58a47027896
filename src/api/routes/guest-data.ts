import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { parseUserRef, type GuestDataService } from '../../instance/guest-data-service.js';
import { caller } from '../auth.js';
import { baseUrl } from '../links.js';
import { pageLinks, paginate } from '../pagination.js';
import { ACCEPTED, COMMON_FAULTS, FaultSchema, LinksSchema, PageQuery } from '../schemas.js';

const PAGE_SIZE = 20;
const FAULTS = { ...COMMON_FAULTS, 409: FaultSchema, 422: FaultSchema };
const InstanceParams = Type.Object({ tenant_id: Type.String(), id: Type.String() });
const UserParams = Type.Object({ tenant_id: Type.String(), id: Type.String(), user: Type.String({ description: 'name or name@host (URL-encoded); host defaults to %' }) });
const HostQuery = Type.Object({ host: Type.Optional(Type.String()) });
const NameList = Type.Array(Type.Object({ name: Type.String() }), { maxItems: 1000 });
const DatabaseBody = Type.Object({ name: Type.String(), character_set: Type.Optional(Type.String()), collate: Type.Optional(Type.String()) });
const UserBody = Type.Object({ name: Type.String(), password: Type.String(), host: Type.Optional(Type.String()), databases: Type.Optional(NameList) });
const UserView = Type.Object({ name: Type.String(), host: Type.String(), databases: NameList });

const userView = (u: { name: string; host: string; databases: string[] }) => ({ name: u.name, host: u.host, databases: u.databases.map((name) => ({ name })) });

/** Databases, users (with access) and root of an instance, in Trove's shapes. */
export const guestDataRoutes: FastifyPluginAsyncTypebox<{ data: GuestDataService; publicUrl: string }> = async (app, { data, publicUrl }) => {
  const page = <T>(request: FastifyRequest, items: T[], key: (item: T) => string) => {
    const query = request.query as { limit?: string; marker?: string };
    const result = paginate(items, key, { limit: query.limit === undefined ? undefined : Number(query.limit), marker: query.marker }, PAGE_SIZE);
    return { items: result.items, links: pageLinks(request.url, baseUrl(request, publicUrl), result.next) };
  };

  app.get(
    '/instances/:id/databases',
    { schema: { tags: ['databases'], summary: "List an instance's databases", params: InstanceParams, querystring: PageQuery, response: { 200: Type.Object({ databases: NameList, links: LinksSchema }), ...FAULTS } } },
    async (request) => {
      const { tenant_id, id } = request.params;
      const { items, links } = page(request, await data.listDatabases(caller(request), tenant_id, id), (d) => d.name);
      return { databases: items.map((d) => ({ name: d.name })), links };
    },
  );

  app.post(
    '/instances/:id/databases',
    { schema: { tags: ['databases'], summary: 'Create databases', params: InstanceParams, body: Type.Object({ databases: Type.Array(DatabaseBody, { maxItems: 100 }) }), response: { ...ACCEPTED, ...FAULTS } } },
    async (request, reply) => {
      await data.createDatabases(caller(request), request.params.tenant_id, request.params.id, request.body.databases);
      return reply.code(202).send();
    },
  );

  app.delete(
    '/instances/:id/databases/:name',
    { schema: { tags: ['databases'], summary: 'Delete a database', params: Type.Object({ tenant_id: Type.String(), id: Type.String(), name: Type.String() }), response: { ...ACCEPTED, ...FAULTS } } },
    async (request, reply) => {
      await data.deleteDatabase(caller(request), request.params.tenant_id, request.params.id, request.params.name);
      return reply.code(202).send();
    },
  );

  app.get(
    '/instances/:id/users',
    { schema: { tags: ['users'], summary: "List an instance's users", params: InstanceParams, querystring: PageQuery, response: { 200: Type.Object({ users: Type.Array(UserView), links: LinksSchema }), ...FAULTS } } },
    async (request) => {
      const { tenant_id, id } = request.params;
      const { items, links } = page(request, await data.listUsers(caller(request), tenant_id, id), (u) => u.name);
      return { users: items.map(userView), links };
    },
  );

  app.post('/instances/:id/users', { schema: { tags: ['users'], summary: 'Create users', params: InstanceParams, body: Type.Object({ users: Type.Array(UserBody, { maxItems: 100 }) }), response: { ...ACCEPTED, ...FAULTS } } }, async (request, reply) => {
    const users = request.body.users.map((u) => ({ name: u.name, password: u.password, ...(u.host ? { host: u.host } : {}), databases: (u.databases ?? []).map((d) => d.name) }));
    await data.createUsers(caller(request), request.params.tenant_id, request.params.id, users);
    return reply.code(202).send();
  });

  app.get('/instances/:id/users/:user', { schema: { tags: ['users'], summary: 'Show a user', params: UserParams, querystring: HostQuery, response: { 200: Type.Object({ user: UserView }), ...FAULTS } } }, async (request) => {
    const { tenant_id, id, user } = request.params;
    return { user: userView(await data.getUser(caller(request), tenant_id, id, parseUserRef(user, request.query.host))) };
  });

  app.put(
    '/instances/:id/users/:user',
    {
      schema: {
        tags: ['users'],
        summary: "Change a user's name, host or password",
        params: UserParams,
        querystring: HostQuery,
        body: Type.Object({ user: Type.Object({ name: Type.Optional(Type.String()), host: Type.Optional(Type.String()), password: Type.Optional(Type.String()) }) }),
        response: { ...ACCEPTED, ...FAULTS },
      },
    },
    async (request, reply) => {
      const { tenant_id, id, user } = request.params;
      await data.updateUser(caller(request), tenant_id, id, parseUserRef(user, request.query.host), request.body.user);
      return reply.code(202).send();
    },
  );

  app.delete('/instances/:id/users/:user', { schema: { tags: ['users'], summary: 'Delete a user', params: UserParams, querystring: HostQuery, response: { ...ACCEPTED, ...FAULTS } } }, async (request, reply) => {
    const { tenant_id, id, user } = request.params;
    await data.deleteUser(caller(request), tenant_id, id, parseUserRef(user, request.query.host));
    return reply.code(202).send();
  });

  app.get('/instances/:id/users/:user/databases', { schema: { tags: ['users'], summary: "A user's databases", params: UserParams, querystring: HostQuery, response: { 200: Type.Object({ databases: NameList }), ...FAULTS } } }, async (request) => {
    const { tenant_id, id, user } = request.params;
    const found = await data.getUser(caller(request), tenant_id, id, parseUserRef(user, request.query.host));
    return { databases: found.databases.map((name) => ({ name })) };
  });

  app.put(
    '/instances/:id/users/:user/databases',
    { schema: { tags: ['users'], summary: 'Grant a user access to databases', params: UserParams, querystring: HostQuery, body: Type.Object({ databases: NameList }), response: { ...ACCEPTED, ...FAULTS } } },
    async (request, reply) => {
      const { tenant_id, id, user } = request.params;
      await data.grant(
        caller(request),
        tenant_id,
        id,
        parseUserRef(user, request.query.host),
        request.body.databases.map((d) => d.name),
      );
      return reply.code(202).send();
    },
  );

  app.delete(
    '/instances/:id/users/:user/databases/:database',
    {
      schema: {
        tags: ['users'],
        summary: "Revoke a user's access to a database",
        params: Type.Object({ tenant_id: Type.String(), id: Type.String(), user: Type.String(), database: Type.String() }),
        querystring: HostQuery,
        response: { ...ACCEPTED, ...FAULTS },
      },
    },
    async (request, reply) => {
      const { tenant_id, id, user, database } = request.params;
      await data.revoke(caller(request), tenant_id, id, parseUserRef(user, request.query.host), database);
      return reply.code(202).send();
    },
  );

  app.get('/instances/:id/root', { schema: { tags: ['root'], summary: 'Whether root was ever enabled', params: InstanceParams, response: { 200: Type.Object({ rootEnabled: Type.Boolean() }), ...FAULTS } } }, async (request) => ({
    rootEnabled: await data.rootEnabled(caller(request), request.params.tenant_id, request.params.id),
  }));

  app.post(
    '/instances/:id/root',
    {
      schema: {
        tags: ['root'],
        summary: 'Enable root with the given password, or a new random one (shown once)',
        params: InstanceParams,
        // troveclient posts a JSON null when no password is chosen.
        body: Type.Union([Type.Object({ password: Type.Optional(Type.String()) }), Type.Null()]),
        response: { 200: Type.Object({ user: Type.Object({ name: Type.String(), password: Type.String() }) }), ...FAULTS },
      },
    },
    async (request) => ({ user: await data.enableRoot(caller(request), request.params.tenant_id, request.params.id, request.body?.password) }),
  );

  app.delete('/instances/:id/root', { schema: { tags: ['root'], summary: 'Disable root', params: InstanceParams, response: { 204: Type.Unknown({ description: 'Disabled (empty body)' }), ...FAULTS } } }, async (request, reply) => {
    await data.disableRoot(caller(request), request.params.tenant_id, request.params.id);
    return reply.code(204).send();
  });
};
