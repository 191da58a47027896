import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { run, type RunResult } from './processes.js';

/**
 * What a new TCP connection meets: the server's first bytes ('answered', with them), 'refused'
 * (nothing listens there) or 'dropped' (no answer at all: a packet filter took the SYN).
 */
export type Reach = { outcome: 'answered'; data: Buffer } | { outcome: 'refused' } | { outcome: 'dropped' };

/** Connects from `source` (a local address to bind, or the kernel's choice) and waits for the server to speak. */
export function reach(host: string, port: number, source?: string, send?: Buffer, timeoutMs = 1500): Promise<Reach> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ...(source ? { localAddress: source } : {}) });
    let settled = false;
    const finish = (result: Reach) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ outcome: 'dropped' }), timeoutMs);
    socket.on('connect', () => {
      if (send) socket.write(send);
    });
    socket.on('data', (data: Buffer) => finish({ outcome: 'answered', data }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? { outcome: 'refused' } : { outcome: 'dropped' }));
  });
}

/**
 * A second host for tests: a network namespace joined to this one by a veth pair, with an
 * address on each side. Commands run inside it reach this host at `hostAddress` only.
 */
export interface TestNetwork {
  namespace: string;
  hostAddress: string;
  clientAddress: string;
  /** Runs a command inside the namespace (bounded in time). */
  exec(command: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<RunResult>;
  /** What a connection from inside the namespace meets (see reach). */
  reachFromClient(host: string, port: number): Promise<Reach['outcome']>;
  remove(): void;
}

const PROBE = `const s = require('net').connect({ host: process.argv[1], port: Number(process.argv[2]) });
const t = setTimeout(() => { console.log('dropped'); process.exit(0); }, 1500);
s.on('data', () => { console.log('answered'); process.exit(0); });
s.on('connect', () => setTimeout(() => { console.log('answered'); process.exit(0); }, 1000));
s.on('error', (e) => { console.log(e.code === 'ECONNREFUSED' ? 'refused' : 'dropped'); process.exit(0); });`;

/** Makes the namespace and its link; `octet` picks the /30 in 10.252.0.0/16 so parallel tests keep apart. */
export function createTestNetwork(name: string, octet: number): TestNetwork {
  const namespace = `trove-${name}`;
  const hostLink = `tv${name}h`.slice(0, 15);
  const clientLink = `tv${name}c`.slice(0, 15);
  const hostAddress = `10.252.${octet}.1`;
  const clientAddress = `10.252.${octet}.2`;
  const sh = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const remove = () => {
    for (const args of [
      ['netns', 'delete', namespace],
      ['link', 'delete', hostLink],
    ]) {
      try {
        sh(...args);
      } catch {
        // already gone
      }
    }
  };
  remove();
  sh('netns', 'add', namespace);
  sh('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', clientLink);
  sh('link', 'set', clientLink, 'netns', namespace);
  sh('addr', 'add', `${hostAddress}/30`, 'dev', hostLink);
  sh('link', 'set', hostLink, 'up');
  sh('netns', 'exec', namespace, 'ip', 'addr', 'add', `${clientAddress}/30`, 'dev', clientLink);
  sh('netns', 'exec', namespace, 'ip', 'link', 'set', clientLink, 'up');
  sh('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
  const exec = (command: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000) => run('ip', ['netns', 'exec', namespace, command, ...args], { PATH: process.env.PATH, ...env }, timeoutMs);
  return {
    namespace,
    hostAddress,
    clientAddress,
    exec,
    async reachFromClient(host, port) {
      const result = await exec(process.execPath, ['-e', PROBE, host, String(port)], {}, 10_000);
      return result.stdout.trim() as Reach['outcome'];
    },
    remove,
  };
}
