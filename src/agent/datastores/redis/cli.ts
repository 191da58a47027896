import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** redis-cli -e prints an error reply as its code in capitals and the server's words; anything else is the client's own failure. */
const errorReply = (stderr: string): string | undefined => (/^[A-Z]+ /.test(stderr) ? stderr.split('\n')[0] : undefined);

/** One section of INFO as field → value. */
export async function redisInfo(config: AgentConfig, section: string): Promise<Record<string, string>> {
  const text = String(await redisCommand(config, ['INFO', section]));
  return Object.fromEntries(text.split(/\r?\n/).flatMap((line) => (/^[a-z_0-9]+:/.test(line) ? [[line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]] : [])));
}

/**
 * Runs one command with redis-cli over the instance's unix socket as the agent's ACL user.
 * The password goes in the environment (REDISCLI_AUTH), not the argv; replies come as JSON.
 */
export function redisCommand(config: AgentConfig, args: string[], secretLastArgument?: string): Promise<unknown> {
  const paths = pathsOf(config);
  const secret = readFileSync(paths.agentSecretFile, 'utf8').trim();
  return new Promise((resolve, reject) => {
    const child = execFile(
      'redis-cli',
      // -x: a secret argument (a password to set) is read from standard input, never put in the argv.
      ['-s', paths.socket, '--user', AGENT_USER, '--no-auth-warning', '-e', '--json', ...(secretLastArgument !== undefined ? ['-x'] : []), ...args],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024, cwd: '/', env: { PATH: process.env.PATH, REDISCLI_AUTH: secret } },
      (err, stdout, stderr) => {
        const out = stdout.toString().trim();
        if (err) return reject(new RedisCommandError(`Redis refused ${args[0]}: ${(out || stderr.toString().trim() || err.message).replace(/^error:/, '')}`, errorReply(stderr.toString().trim())));
        try {
          resolve(JSON.parse(out));
        } catch {
          // Some replies (INFO) are verbatim text rather than JSON.
          resolve(out);
        }
      },
    );
    // A client that exits before reading its input (EPIPE) is reported by its exit, above; unheard, the
    // write error would end the agent.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(secretLastArgument ?? '');
  });
}
