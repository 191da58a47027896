import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { GuestLogService } from '../../instance/guest-log-service.js';
import { caller } from '../auth.js';
import { COMMON_FAULTS, Flag, FaultSchema } from '../schemas.js';

const LogView = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'USER (can be switched) or SYS (always on)' }),
  status: Type.String({ description: 'Disabled, Unavailable, Ready, Published or Partial' }),
  published: Type.Integer({ description: 'bytes published to the object store' }),
  pending: Type.Integer({ description: 'bytes written since' }),
  container: Type.String(),
  prefix: Type.String(),
  metafile: Type.String(),
});
const Params = Type.Object({ tenant_id: Type.String(), id: Type.String() });
const FAULTS = { ...COMMON_FAULTS, 422: FaultSchema };

/** Guest logs: list, and show/enable/disable/publish/discard one (Trove's POST …/log). */
export const guestLogRoutes: FastifyPluginAsyncTypebox<{ logs: GuestLogService }> = async (app, { logs }) => {
  app.get('/instances/:id/log', { schema: { tags: ['logs'], summary: "An instance's logs", params: Params, response: { 200: Type.Object({ logs: Type.Array(LogView) }), ...FAULTS } } }, async (request) => ({
    logs: await logs.list(caller(request), request.params.tenant_id, request.params.id),
  }));

  app.post(
    '/instances/:id/log',
    {
      schema: {
        tags: ['logs'],
        summary: 'Show a log, or enable, disable, publish or discard it',
        params: Params,
        body: Type.Object({
          name: Type.String(),
          enable: Type.Optional(Flag()),
          disable: Type.Optional(Flag()),
          publish: Type.Optional(Flag()),
          discard: Type.Optional(Flag()),
        }),
        response: { 200: Type.Object({ log: LogView }), ...FAULTS },
      },
    },
    async (request) => ({ log: await logs.act(caller(request), request.params.tenant_id, request.params.id, request.body) }),
  );
};
