import { run } from './processes.js';

/**
 * redis-cli over TCP to an instance's address. The password goes in REDISCLI_AUTH; -e makes an
 * error reply a non-zero exit. user undefined: no AUTH at all.
 */
export function redisCli(host: string, user: string | undefined, password: string | undefined, args: string[]) {
  const auth = user === undefined ? [] : ['--user', user];
  return run('redis-cli', ['-h', host, '-p', '6379', '--no-auth-warning', '-e', ...auth, ...args], { PATH: process.env.PATH, ...(password === undefined ? {} : { REDISCLI_AUTH: password }) });
}
