import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../common/time.js';
import { systemUser } from '../agent/system-user.js';

const run = promisify(execFile);

/** A scratch folder owned by an engine's system user, and the seconds from `started`. */
async function timedBoot(owner: string, boot: (dir: string, uid: number, gid: number) => Promise<ChildProcess>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'trove-bench-raw-'));
  const user = systemUser(owner);
  chownSync(dir, user.uid, user.gid);
  const started = performance.now();
  const server = await boot(dir, user.uid, user.gid);
  const seconds = (performance.now() - started) / 1000;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

async function until(check: () => Promise<unknown>): Promise<void> {
  for (;;) {
    try {
      await check();
      return;
    } catch {
      await sleep(5);
    }
  }
}

/** mariadb-install-db into an empty folder, start mariadbd, first successful ping. */
export function rawMariadbBoot(address: string): Promise<number> {
  return timedBoot('mysql', async (dir, uid, gid) => {
    const data = join(dir, 'data');
    const socket = join(dir, 'mysqld.sock');
    mkdirSync(data);
    chownSync(data, uid, gid);
    await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=mysql', '--auth-root-authentication-method=socket', '--skip-test-db']);
    const server = spawn('/usr/sbin/mariadbd', ['--no-defaults', `--datadir=${data}`, `--socket=${socket}`, `--bind-address=${address}`, '--port=3306', `--pid-file=${join(dir, 'pid')}`], { stdio: 'ignore', uid, gid });
    await until(() => run('mariadb-admin', ['--no-defaults', `--socket=${socket}`, '--user=root', 'ping']));
    return server;
  });
}

/** initdb into an empty folder, start postgres, first successful pg_isready. */
export function rawPostgresBoot(address: string, version: string): Promise<number> {
  const bin = `/usr/lib/postgresql/${version}/bin`;
  return timedBoot('postgres', async (dir, uid, gid) => {
    const data = join(dir, 'data');
    await run(`${bin}/initdb`, ['-D', data, '--username=postgres', '--auth=peer', '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions'], { uid, gid, cwd: '/' });
    const server = spawn(`${bin}/postgres`, ['-D', data, '-c', `listen_addresses=${address}`, '-c', `unix_socket_directories=${dir}`], { stdio: 'ignore', uid, gid, cwd: '/' });
    await until(() => run(`${bin}/pg_isready`, ['-q', '-h', dir, '-p', '5432']));
    return server;
  });
}

/** Start redis-server with persistence in an empty folder, first successful PING. */
export function rawRedisBoot(address: string): Promise<number> {
  return timedBoot('redis', async (dir, uid, gid) => {
    const socket = join(dir, 'redis.sock');
    const server = spawn('/usr/bin/redis-server', ['--bind', address, '--port', '6379', '--unixsocket', socket, '--dir', dir, '--appendonly', 'yes'], { stdio: 'ignore', uid, gid, cwd: dir });
    await until(async () => {
      const { stdout } = await run('redis-cli', ['-s', socket, 'PING']);
      if (stdout.trim() !== 'PONG') throw new Error('not yet');
    });
    return server;
  });
}
