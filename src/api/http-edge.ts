import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import Router from 'find-my-way';
import { faultBody } from './faults.js';

/**
 * What the framework and Node answer on their own, before any route runs, answered instead in
 * Trove's fault format and without repeating what the caller sent: a wrong method, a malformed
 * URL, headers too large, an HTTP method Node does not know, a body over the limit.
 */

/** Longer path segments than this are refused (414); user references (name@host, encoded) stay well under it. */
export const MAX_PATH_PARAMETER = 1024;

/** The methods Fastify's router takes: anything else is answered by Node's parser or as 405. */
const ROUTED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The route table again, as a router that answers "which methods does this path have": what a
 * 405's Allow header lists. Filled from Fastify's own onRoute hook, so it holds exactly the routes
 * Fastify serves (HEAD for each GET included).
 */
export function trackAllowedMethods(app: FastifyInstance): (path: string) => string[] {
  const router = Router({ ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAMETER });
  const noop = () => undefined;
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]) as HTTPMethods[];
    for (const method of methods) {
      if (!router.hasRoute(method as Router.HTTPMethod, route.url)) router.on(method as Router.HTTPMethod, route.url, noop);
    }
  });
  return (path) => ROUTED_METHODS.filter((method) => router.find(method, path) !== null);
}

const KEYSTONE_TITLES: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 414: 'URI Too Long' };

/** Under /v3 errors take Keystone's shape, which keystoneauth reads; elsewhere Trove's fault. */
function errorBody(url: string, status: number, message: string): unknown {
  if (url === '/v3' || url.startsWith('/v3/') || url.startsWith('/v3?')) return { error: { code: status, title: KEYSTONE_TITLES[status] ?? 'Error', message } };
  return faultBody(status, message);
}

/** Unknown paths get 404 and known paths asked with a method they lack 405 with `Allow`, both as the API's errors. */
export function notFoundHandler(allowedMethods: (path: string) => string[]) {
  return (request: FastifyRequest, reply: FastifyReply): void => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(errorBody(path, 405, `Method ${request.method} is not allowed on ${path}; it takes ${allowed.join(', ')}.`));
      return;
    }
    reply.code(404).send(errorBody(path, 404, `The resource could not be found: ${request.method} ${path} is not a route of this API.`));
  };
}

/** Fastify's own answers to a URL it cannot route (bad percent-escape, over-long segment), as faults. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const url = request.url;
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      reply.code(400).send(errorBody(url, 400, 'The request path has a malformed percent-escape: write % as %25 and every other escape as two hex digits.'));
      return;
    case 'FST_ERR_MAX_PARAM_LENGTH':
      reply.code(414).send(errorBody(url, 414, `A segment of the request path is longer than ${MAX_PATH_PARAMETER} characters: no name or id of this API is that long.`));
      return;
    default:
      reply.code(400).send(errorBody(url, 400, 'The request could not be routed.'));
  }
}

/** Node's parser refusals ('clientError'): what each means for the caller. */
function describeClientError(code: string | undefined, maxHeaderSize: number): { status: number; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: `The request line and headers are larger than the ${maxHeaderSize} bytes this server reads: shorten the URL or the headers.` };
    case 'HPE_INVALID_METHOD':
      return { status: 501, message: `Unknown HTTP method: this API takes ${ROUTED_METHODS.join(', ')}.` };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request was not received in time.' };
    default:
      return { status: 400, message: 'Malformed HTTP request.' };
  }
}

/** Node's 'clientError': answered as a fault (never Node's own "Client Error"), then the connection closes, as Node's parser cannot go on. */
export function clientErrorHandler(maxHeaderSize: number) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message } = describeClientError(error.code, maxHeaderSize);
    const body = JSON.stringify(faultBody(status, message));
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}
