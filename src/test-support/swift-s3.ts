import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../common/time.js';
import { freePort } from './postgres.js';
import { run } from './processes.js';

export interface S3Server {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** The [object_store] section of a trove.toml that uses this server. */
  toml(): string;
  stop(): Promise<void>;
}

const SERVERS = ['account', 'container', 'object'] as const;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** What every Swift server's configuration starts with: loopback, no syslog, this folder's rings. */
function defaults(root: string, port: number): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
user = root
swift_dir = ${root}/etc
log_address = ${root}/no-syslog
`;
}

function serverConf(root: string, name: string, port: number): string {
  return `${defaults(root, port)}devices = ${root}/devices
mount_check = false
[pipeline:main]
pipeline = ${name}-server
[app:${name}-server]
use = egg:swift#${name}
`;
}

function proxyConf(root: string, port: number, memcachePort: number): string {
  const filters = ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy_logging', 'listing_formats', 'copy', 'slo', 'dlo'];
  return `${defaults(root, port)}[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_trove_backups = backup-secret .admin
[filter:s3api]
use = egg:swift#s3api
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachePort}
${filters.map((f) => `[filter:${f === 'proxy_logging' ? 'proxy-logging' : f}]\nuse = egg:swift#${f}\n`).join('')}`;
}

/**
 * A real S3-compatible server for tests: OpenStack Swift (Debian's swift-* packages) with its
 * s3api middleware and tempauth, one device in a temporary folder, memcached for its tokens,
 * every server on a free loopback port. stop() ends them all and removes the folder.
 */
export async function startSwiftS3(): Promise<S3Server> {
  const root = mkdtempSync(join(tmpdir(), 'trove-test-swift-'));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'devices', 'd1'), { recursive: true });
  const children: ChildProcess[] = [];
  const output: string[] = [];
  const start = (command: string, args: string[]) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    children.push(child);
  };
  const stop = async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    writeFileSync(join(root, 'etc', 'swift.conf'), '[swift-hash]\nswift_hash_path_suffix = trove-test\nswift_hash_path_prefix = trove\n[storage-policy:0]\nname = gold\ndefault = yes\n');
    const memcachePort = await freePort();
    start('memcached', ['-u', 'nobody', '-l', '127.0.0.1', '-p', String(memcachePort), '-U', '0', '-m', '16']);
    const ports: number[] = [memcachePort];
    for (const name of SERVERS) {
      const port = await freePort();
      ports.push(port);
      const builder = join(root, 'etc', `${name}.builder`);
      for (const args of [['create', '6', '1', '1'], ['add', `r1z1-127.0.0.1:${port}/d1`, '1'], ['rebalance']]) {
        const result = await run('/usr/bin/python3', ['/usr/bin/swift-ring-builder', builder, ...args]);
        // rebalance exits 1 with a warning on a one-device ring; the ring file is what counts.
        if (result.code > 1) throw new Error(`swift-ring-builder ${args[0]}: ${result.stdout}${result.stderr}`);
      }
      writeFileSync(join(root, 'etc', `${name}-server.conf`), serverConf(root, name, port));
      start('/usr/bin/python3', [`/usr/bin/swift-${name}-server`, join(root, 'etc', `${name}-server.conf`)]);
    }
    const proxyPort = await freePort();
    writeFileSync(join(root, 'etc', 'proxy-server.conf'), proxyConf(root, proxyPort, memcachePort));
    start('/usr/bin/python3', ['/usr/bin/swift-proxy-server', join(root, 'etc', 'proxy-server.conf')]);
    const endpoint = `http://127.0.0.1:${proxyPort}`;
    const deadline = Date.now() + 30_000;
    // The proxy can answer before the servers behind it listen: wait for every one of them.
    for (;;) {
      try {
        if ((await Promise.all(ports.map(listening))).every(Boolean) && (await fetch(`${endpoint}/healthcheck`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`Swift did not come up: ${output.join('').slice(-3000)}`);
      await sleep(100);
    }
    const server: S3Server = {
      endpoint,
      accessKey: 'trove:backups',
      secretKey: 'backup-secret',
      toml: () => `[object_store]\ndriver = "s3"\nendpoint = "${endpoint}"\naccess_key = "${server.accessKey}"\nsecret_key = "${server.secretKey}"\n`,
      stop,
    };
    return server;
  } catch (err) {
    await stop();
    throw err;
  }
}
