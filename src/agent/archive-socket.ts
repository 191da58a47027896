import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Logger } from '../common/log.js';
import type { BackupRunner } from './backup-runner.js';
import { AgentRequestError } from './errors.js';
import { giveFile } from './system-user.js';

/** The socket, in the instance's run folder, on which the engine hands over its finished log files. */
export const ARCHIVE_SOCKET = 'archive.sock';

/**
 * Listens for the engine's archive command (`curl --unix-socket … -X POST …/archive/<name>`):
 * it answers 200 once the file is stored, so the engine keeps the file and tries again until
 * it is. Only the engine's user can reach the socket, and it can only name files of its own log.
 */
export async function listenForArchive(backups: BackupRunner, path: string, engineUser: string, log: Logger): Promise<void> {
  const app = Fastify({ loggerInstance: log.child({ socket: 'archive' }) as FastifyBaseLogger });
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error instanceof AgentRequestError ? error.status : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error.message, url: request.url }, 'archiving a log file failed');
    return reply.code(status).send({ error: error.message });
  });
  // PostgreSQL asks once per 16 MiB segment: the push logs its own line.
  app.post<{ Params: { name: string } }>('/archive/:name', { logLevel: 'warn' }, async (request) => ({ archive: await backups.archiveFile(request.params.name) }));
  // The run folder is the engine's own, made at the first prepare: this may come first.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) rmSync(path);
  await app.listen({ path });
  giveFile(path, engineUser);
  chmodSync(path, 0o600);
}
