import type { FastifyRequest } from 'fastify';

export interface Link {
  rel: string;
  href: string;
}

/** The base URL clients reach this server at: the configured one, or the request's own. */
export function baseUrl(request: FastifyRequest, publicUrl: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

/** Trove's self and bookmark links for a resource of the caller's project. */
export function resourceLinks(base: string, projectId: string, collection: string, id: string): Link[] {
  return [
    { rel: 'self', href: `${base}/v1.0/${projectId}/${collection}/${id}` },
    { rel: 'bookmark', href: `${base}/${collection}/${id}` },
  ];
}
