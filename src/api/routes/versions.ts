import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { baseUrl } from '../links.js';
import { LinksSchema } from '../schemas.js';

const VersionSchema = Type.Object({ id: Type.String(), status: Type.String(), updated: Type.String(), links: LinksSchema });

/** Version discovery: `GET /` lists the API versions, `GET /v1.0` describes the one there is. */
export const versionRoutes: FastifyPluginAsyncTypebox<{ publicUrl: string }> = async (app, { publicUrl }) => {
  const version = (base: string) => ({ id: 'v1.0', status: 'CURRENT', updated: '2012-08-01T00:00:00Z', links: [{ rel: 'self', href: `${base}/v1.0/` }] });

  app.get('/', { schema: { tags: ['versions'], summary: 'API versions', response: { 200: Type.Object({ versions: Type.Array(VersionSchema) }) } } }, async (request) => ({
    versions: [version(baseUrl(request, publicUrl))],
  }));

  // The router ignores trailing slashes, so this also answers /v1.0/.
  app.get('/v1.0', { schema: { tags: ['versions'], summary: 'The v1.0 API', response: { 200: Type.Object({ version: VersionSchema }) } } }, async (request) => ({
    version: version(baseUrl(request, publicUrl)),
  }));
};
