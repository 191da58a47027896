import { execFile, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { systemUser } from '../agent/system-user.js';

const run = promisify(execFile);

/**
 * The raw engine path, for comparison: mariadb-install-db into an empty folder, start mariadbd
 * as the mysql user on a loopback address, and wait for the first successful ping.
 */
export async function rawMariadbBoot(address: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'trove-bench-raw-'));
  const user = systemUser('mysql');
  chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const started = performance.now();
  mkdirSync(data);
  chownSync(data, user.uid, user.gid);
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=mysql', '--auth-root-authentication-method=socket', '--skip-test-db']);
  const server = spawn('/usr/sbin/mariadbd', ['--no-defaults', `--datadir=${data}`, `--socket=${socket}`, `--bind-address=${address}`, '--port=3306', `--pid-file=${join(dir, 'pid')}`], { stdio: 'ignore', uid: user.uid, gid: user.gid });
  for (;;) {
    try {
      await run('mariadb-admin', ['--no-defaults', `--socket=${socket}`, '--user=root', 'ping']);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}
