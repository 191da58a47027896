import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from '../common/time.js';
import { freePort } from './postgres.js';

export const TROVE_BIN = fileURLToPath(new URL('../../bin/trove', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded in time), never throwing on a non-zero exit; `input` is its standard input. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000, input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The real `trove` executable of this checkout. */
export function trove(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(TROVE_BIN, args, { PATH: process.env.PATH, ...env });
}

export interface RunningServer {
  url: string;
  port: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `trove serve` on a free port of 127.0.0.1 and waits until it answers. */
export async function startServe(dataDir: string, env: NodeJS.ProcessEnv = {}, fixedPort?: number, umask?: string): Promise<RunningServer> {
  const port = fixedPort ?? (await freePort());
  const command = umask ? (['/bin/sh', ['-c', `umask ${umask} && exec "$0" "$@"`, TROVE_BIN, 'serve', '--port', String(port), '--data-dir', dataDir]] as const) : ([TROVE_BIN, ['serve', '--port', String(port), '--data-dir', dataDir]] as const);
  const child = spawn(command[0], [...command[1]], {
    env: { PATH: process.env.PATH, TROVE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      const how = child.exitCode === null ? 'no answer in 20 s' : `exited with ${child.exitCode}`;
      await stop();
      throw new Error(`trove serve did not come up (${how}): ${output}`);
    }
    await sleep(100);
  }
  return { url, port, process: child, output: () => output, stop };
}
