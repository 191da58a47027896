import { readFileSync } from 'node:fs';
import { createClient, ErrorReply } from '@redis/client';
import { closeOnStop } from '../../engine-connections.js';
import type { AgentConfig } from '../../protocol.js';
import { AGENT_USER } from './acl.js';
import { pathsOf } from './config-file.js';

/** A Redis error reply (or no answer at all), with the server's message. */
export class RedisCommandError extends Error {
  constructor(
    message: string,
    /** The server's error reply (`ERR Usernames can't contain spaces…`), when the server answered. */
    readonly reply?: string,
  ) {
    super(message);
  }
}

type Client = ReturnType<typeof createClient>;

interface Session {
  secret: string;
  ready: Promise<Client>;
  forget: () => void;
}

/** One session per server socket, as the agent's ACL user; a new one after the server ends it (a restart) or the agent's password changes. */
const sessions = new Map<string, Session>();

function sessionOf(socket: string, secret: string): Promise<Client> {
  const known = sessions.get(socket);
  if (known && known.secret === secret) return known.ready;
  if (known) void closeRedis(socket);
  const client: Client = createClient({
    socket: { path: socket, connectTimeout: 5_000, reconnectStrategy: false },
    username: AGENT_USER,
    password: secret,
    // A command while the server is away fails at once, as a client run then would have.
    disableOfflineQueue: true,
    disableClientInfo: true,
    maintNotifications: 'disabled',
  });
  const session: Session = {
    secret,
    ready: client.connect().then(() => client),
    forget: closeOnStop(() => closeRedis(socket)),
  };
  // A connection the server ends (shutdown, restart, the agent's user changed) is given up; the next command opens another.
  const drop = () => {
    if (sessions.get(socket) === session) {
      sessions.delete(socket);
      session.forget();
    }
  };
  client.on('error', drop);
  client.on('end', drop);
  session.ready.catch(drop);
  sessions.set(socket, session);
  return session.ready;
}

/** Ends the session with one server, if open. */
async function closeRedis(socket: string): Promise<void> {
  const session = sessions.get(socket);
  if (!session) return;
  sessions.delete(socket);
  session.forget();
  const client = await session.ready.catch(() => undefined);
  if (client?.isOpen) await client.close().catch(() => client.destroy());
}

/** One section of INFO as field → value. */
export async function redisInfo(config: AgentConfig, section: string): Promise<Record<string, string>> {
  const text = String(await redisCommand(config, ['INFO', section]));
  return Object.fromEntries(text.split(/\r?\n/).flatMap((line) => (/^[a-z_0-9]+:/.test(line) ? [[line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]] : [])));
}

/** A reply of name, value, name, value… (RESP2's map, as ACL GETUSER answers) as a record. */
export function replyMap(reply: unknown): Record<string, unknown> {
  if (!Array.isArray(reply)) return reply && typeof reply === 'object' ? (reply as Record<string, unknown>) : {};
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = reply[i + 1];
  return record;
}

/**
 * Runs one command over the instance's unix socket as the agent's ACL user. A secret argument
 * (a password to set) is sent last, as the command's own argument: no process or log sees it.
 */
export async function redisCommand(config: AgentConfig, args: string[], secretLastArgument?: string): Promise<unknown> {
  const paths = pathsOf(config);
  const command = secretLastArgument !== undefined ? [...args, secretLastArgument] : args;
  try {
    const secret = readFileSync(paths.agentSecretFile, 'utf8').trim();
    const client = await sessionOf(paths.socket, secret);
    return await client.sendCommand(command);
  } catch (err) {
    // The server's reply names its error code first (ERR, NOPERM, WRONGPASS…); it never quotes the command.
    if (err instanceof ErrorReply) throw new RedisCommandError(`Redis refused ${args[0]}: ${err.message}`, err.message);
    throw new RedisCommandError(`Redis refused ${args[0]}: ${(err as Error).message}`);
  }
}
