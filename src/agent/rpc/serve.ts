import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TObject } from 'typebox';
import { pathParameters, type RequestOf, type ResponseOf, type Route } from './route.js';
import type { Routes } from './routes.js';

/** What the agent does for one route: its input is the route's request, its answer the route's response. */
export type Handler<R extends Route> = (input: RequestOf<R>, reply: FastifyReply) => Promise<ResponseOf<R>>;

/** One handler for every declared route, and none for a route not declared. */
export type Handlers = { [K in keyof Routes]: Handler<Routes[K]> };

/** The part of an object schema whose properties `keep` chooses, with the schema's other keywords. */
function part(schema: TObject, keep: (name: string) => boolean): object {
  const { properties, required, ...keywords } = schema as unknown as { properties: Record<string, unknown>; required?: string[] };
  const names = Object.keys(properties).filter(keep);
  return { ...keywords, properties: Object.fromEntries(names.map((n) => [n, properties[n]])), required: (required ?? []).filter(keep) };
}

/** Fastify's schemas for a route's request: path parameters, then the query string (GET) or the body. */
function requestSchemas(route: Route): Record<string, object> {
  if (!route.request) return {};
  const inPath = new Set(pathParameters(route.path));
  const schemas: Record<string, object> = {};
  if (inPath.size > 0) schemas.params = part(route.request, (n) => inPath.has(n));
  const rest = part(route.request, (n) => !inPath.has(n));
  if (route.method === 'GET') {
    if (Object.keys((rest as { properties: object }).properties).length > 0) schemas.querystring = rest;
  } else if (inPath.size === 0 || Object.keys((rest as { properties: object }).properties).length > 0) {
    schemas.body = rest;
  }
  return schemas;
}

/** Serves `route` on the agent's HTTP server: fastify validates the request against the declaration before `handler` runs. */
export function serve<R extends Route>(app: FastifyInstance, route: R, handler: Handler<R>): void {
  app.route({
    method: route.method,
    url: route.path,
    ...(route.quiet ? { logLevel: 'warn' } : {}),
    schema: requestSchemas(route),
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const input = { ...(request.params as object), ...((route.method === 'GET' ? request.query : request.body) as object | undefined) };
      return handler((route.request ? input : undefined) as RequestOf<R>, reply);
    },
  });
}
