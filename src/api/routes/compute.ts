import { hostname } from 'node:os';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { DatastoreCatalog } from '../../catalog/registry.js';
import { BadRequest, Forbidden } from '../../common/errors.js';
import type { IdentityService } from '../../identity/identity-service.js';
import type { InstanceService } from '../../instance/instance-service.js';
import type { InstanceTable } from '../../state/schema.js';
import { caller, projectAuthHook } from '../auth.js';
import { baseUrl } from '../links.js';
import { matchingNames } from '../name-filter.js';
import { pageLinks, paginate } from '../pagination.js';
import type { RateLimiter } from '../rate-limit.js';
import { COMMON_FAULTS, FaultSchema, LinksSchema } from '../schemas.js';
import { novaState, serverSummaryView, serverView, ServerSchema, ServerSummarySchema } from '../views/server-view.js';

/**
 * A read-only compute view: the instances of the control plane as Nova's servers (v2.1, no
 * microversions), for tools that check an instance's server after an operation, as Trove's
 * tempest plugin does after a resize. Under /compute, beside /v1.0; the token's catalog names it.
 */

const API_VERSION = '2.1';
const VERSION_UPDATED = '2013-07-23T11:33:21Z';
/** Nova's osapi_max_limit. */
const MAX_LIMIT = 1000;
/** The query parameters of Nova's list that this view implements; others are refused by name. */
const LIST_PARAMETERS = ['all_tenants', 'name', 'status', 'limit', 'marker'] as const;

const OneOrMany = Type.Union([Type.String(), Type.Array(Type.String())]);
const ListQuery = Type.Object(
  {
    all_tenants: Type.Optional(OneOrMany),
    name: Type.Optional(OneOrMany),
    status: Type.Optional(OneOrMany),
    limit: Type.Optional(OneOrMany),
    marker: Type.Optional(OneOrMany),
  },
  // Unknown parameters reach the handler, which names every one of them in its 400.
  { additionalProperties: true },
);
type Query = Record<string, string | string[] | undefined>;

const VersionSchema = Type.Object({
  id: Type.String(),
  status: Type.String(),
  version: Type.String(),
  min_version: Type.String(),
  updated: Type.String(),
  links: Type.Array(Type.Object({ rel: Type.String(), href: Type.String(), type: Type.Optional(Type.String()) })),
  'media-types': Type.Optional(Type.Array(Type.Object({ base: Type.String(), type: Type.String() }))),
});

const FAULTS = { ...COMMON_FAULTS, 406: FaultSchema };

/** oslo's bool_from_string(strict=True), as Nova reads all_tenants; an empty value means true. */
function allTenants(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === '' || ['1', 't', 'true', 'on', 'y', 'yes'].includes(v)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(v)) return false;
  throw new BadRequest(`Invalid input for query parameter all_tenants: '${value}' is not a boolean (send true or false).`);
}

function single(query: Query, key: string): string | undefined {
  const value = query[key];
  if (Array.isArray(value)) throw new BadRequest(`Query parameter ${key} may be given only once.`);
  return value;
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new BadRequest('limit param must be an integer');
  const limit = Number(value);
  if (limit < 0) throw new BadRequest('limit param must be positive');
  return limit === 0 ? undefined : limit;
}

/** The microversion asked for, from OpenStack-API-Version ("compute 2.1") or the older X-OpenStack-Nova-API-Version. */
function requestedVersion(request: FastifyRequest): string | undefined {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const generic = header('openstack-api-version');
  if (generic !== undefined) {
    const entry = generic
      .split(',')
      .map((part) => part.trim().split(/\s+/))
      .find(([service]) => service?.toLowerCase() === 'compute');
    if (entry) return entry[1] ?? '';
  }
  return header('x-openstack-nova-api-version')?.trim();
}

export const computeRoutes: FastifyPluginAsyncTypebox<{ instances: InstanceService; catalog: DatastoreCatalog; identity: IdentityService; limiter: RateLimiter; publicUrl: string }> = async (app, { instances, catalog, identity, limiter, publicUrl }) => {
  const host = hostname();
  const endpointOf = (request: FastifyRequest) => `${baseUrl(request, publicUrl)}/compute/v${API_VERSION}`;
  const version = (endpoint: string) => ({ id: `v${API_VERSION}`, status: 'CURRENT', version: API_VERSION, min_version: API_VERSION, updated: VERSION_UPDATED, links: [{ rel: 'self', href: `${endpoint}/` }] });
  const imageOf = (instance: InstanceTable) => catalog.find(instance.datastore)?.versions.find((v) => v.name === instance.datastore_version)?.image ?? '';

  app.get('/', { schema: { tags: ['compute'], summary: 'Compute API versions (unauthenticated)', response: { 200: Type.Object({ versions: Type.Array(VersionSchema) }) } } }, async (request) => ({
    versions: [version(endpointOf(request))],
  }));

  await app.register(
    async (v21) => {
      // Nova answers every v2.1 request, errors too, with the version it served.
      v21.addHook('onSend', async (request, reply) => {
        reply.header('openstack-api-version', `compute ${API_VERSION}`);
        reply.header('x-openstack-nova-api-version', API_VERSION);
        reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
        reply.header('x-compute-request-id', request.id);
      });

      v21.get('/', { schema: { tags: ['compute'], summary: 'The compute v2.1 API (unauthenticated)', response: { 200: Type.Object({ version: VersionSchema }) } } }, async (request) => {
        const endpoint = endpointOf(request);
        return {
          version: {
            ...version(endpoint),
            links: [
              { rel: 'self', href: `${endpoint}/` },
              { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
            ],
            'media-types': [{ base: 'application/json', type: `application/vnd.openstack.compute+json;version=${API_VERSION}` }],
          },
        };
      });

      await v21.register(async (servers) => {
        servers.addHook('onRequest', projectAuthHook(identity, limiter));
        // Only 2.1 is served: a client asking for a later microversion learns it here, in Nova's words.
        servers.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
          const asked = requestedVersion(request);
          if (asked === undefined || asked.toLowerCase() === 'latest' || asked === API_VERSION) return;
          if (!/^[1-9]\d*\.(0|[1-9]\d*)$/.test(asked)) throw new BadRequest(`API Version String ${asked} is of invalid format. Must be of format MajorNum.MinorNum.`);
          return reply.code(406).send({ computeFault: { code: 406, message: `Version ${asked} is not supported by the API. Minimum is ${API_VERSION} and maximum is ${API_VERSION}.` } });
        });

        /** The instances the caller may list, filtered and paged as Nova's list is. */
        const select = async (request: FastifyRequest): Promise<{ items: InstanceTable[]; next?: string }> => {
          const context = caller(request);
          const query = request.query as Query;
          const unknown = Object.keys(query).filter((key) => !(LIST_PARAMETERS as readonly string[]).includes(key));
          if (unknown.length > 0) {
            throw new BadRequest(`Invalid query parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: this compute view takes only ${LIST_PARAMETERS.join(', ')}.`);
          }
          const everyone = single(query, 'all_tenants');
          const all = everyone !== undefined && allTenants(everyone);
          if (all && !context.isAdmin) throw new Forbidden("Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.");
          let list = all ? await instances.listAll() : await instances.list(context.project.id);
          const name = single(query, 'name');
          if (name !== undefined) {
            const matches = matchingNames(
              name,
              list.map((i) => i.name),
            );
            list = list.filter((_, index) => matches[index]);
          }
          const status = query.status;
          if (status !== undefined) {
            const wanted = new Set((Array.isArray(status) ? status : [status]).map((s) => s.trim().toUpperCase()));
            const now = new Date();
            list = list.filter((i) => wanted.has(novaState(i, now).status));
          }
          return paginate(list, (i) => i.id, { limit: parseLimit(single(query, 'limit')), marker: single(query, 'marker') }, MAX_LIMIT);
        };
        const nextLinks = (request: FastifyRequest, next: string | undefined) => {
          const links = pageLinks(request.url, baseUrl(request, publicUrl), next);
          return links.length > 0 ? { servers_links: links } : {};
        };
        const detail = (request: FastifyRequest, instance: InstanceTable) => serverView(instance, { endpoint: endpointOf(request), host, isAdmin: caller(request).isAdmin, imageOf });

        servers.get(
          '/servers',
          {
            schema: {
              tags: ['compute'],
              summary: "List servers (the caller's instances; all projects' with all_tenants, for admins): id, name and links",
              querystring: ListQuery,
              response: { 200: Type.Object({ servers: Type.Array(ServerSummarySchema), servers_links: Type.Optional(LinksSchema) }), ...FAULTS },
            },
          },
          async (request) => {
            const page = await select(request);
            const endpoint = endpointOf(request);
            return { servers: page.items.map((i) => serverSummaryView(i, endpoint)), ...nextLinks(request, page.next) };
          },
        );

        servers.get(
          '/servers/detail',
          {
            schema: {
              tags: ['compute'],
              summary: 'List servers with details (name: an unanchored regular expression; status; limit and marker)',
              querystring: ListQuery,
              response: { 200: Type.Object({ servers: Type.Array(ServerSchema), servers_links: Type.Optional(LinksSchema) }), ...FAULTS },
            },
          },
          async (request) => {
            const page = await select(request);
            return { servers: page.items.map((i) => detail(request, i)), ...nextLinks(request, page.next) };
          },
        );

        servers.get(
          '/servers/:id',
          { schema: { tags: ['compute'], summary: "Show a server (an instance of the caller's project; any, for admins)", params: Type.Object({ id: Type.String() }), response: { 200: Type.Object({ server: ServerSchema }), ...FAULTS } } },
          async (request) => {
            const context = caller(request);
            return { server: detail(request, await instances.get(context, context.project.id, (request.params as { id: string }).id)) };
          },
        );
      });
    },
    { prefix: `/v${API_VERSION}` },
  );
};
