import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, closeSync } from 'node:fs';
import type { Logger } from '../common/log.js';
import { alive, terminate } from '../common/process-stop.js';
import type { EngineCommand } from './datastore.js';
import { engineOwner } from './system-user.js';

function readPid(file: string): number | undefined {
  try {
    // Some engines write more than the pid (PostgreSQL's postmaster.pid): it is the first line.
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]!.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export type EngineState = 'stopped' | 'running' | 'crashed';

/**
 * Keeps one engine process running: starts it as its unprivileged user, restarts it when it
 * dies (with a growing pause), and adopts an engine that outlived a previous agent.
 */
export class Supervisor {
  private child: ChildProcess | undefined;
  private adoptedPid: number | undefined;
  private wanted = false;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = 500;
  state: EngineState = 'stopped';
  restarts = 0;

  constructor(
    private readonly command: EngineCommand,
    private readonly logFile: string,
    private readonly log: Logger,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid ?? this.adoptedPid;
  }

  start(): void {
    this.wanted = true;
    const existing = readPid(this.command.pidFile);
    if (existing !== undefined && alive(existing)) {
      this.adopt(existing);
      return;
    }
    this.launch();
  }

  private launch(): void {
    const user = engineOwner(this.command.user) ?? {};
    const out = openSync(this.logFile, 'a');
    const child = spawn(this.command.executable, this.command.args, { stdio: ['ignore', out, out], cwd: '/', ...user });
    closeSync(out);
    this.child = child;
    this.adoptedPid = undefined;
    this.state = 'running';
    this.log.info({ pid: child.pid }, 'engine started');
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.onExit(`exit code ${code ?? '-'} signal ${signal ?? '-'}`);
    });
  }

  /** An engine started by an earlier agent is not our child: watch its pid instead. */
  private adopt(pid: number): void {
    this.adoptedPid = pid;
    this.state = 'running';
    this.log.info({ pid }, 'engine adopted');
    const watch = () => {
      if (this.adoptedPid !== pid) return;
      if (alive(pid)) {
        this.timer = setTimeout(watch, 500);
        return;
      }
      this.adoptedPid = undefined;
      this.onExit('adopted engine disappeared');
    };
    this.timer = setTimeout(watch, 500);
  }

  private onExit(reason: string): void {
    if (!this.wanted) {
      this.state = 'stopped';
      return;
    }
    this.state = 'crashed';
    this.restarts += 1;
    this.log.warn({ reason, restartInMs: this.backoffMs }, 'engine stopped unexpectedly; restarting');
    this.timer = setTimeout(() => {
      if (this.wanted) this.launch();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 10_000);
  }

  /** Called when the engine answers: the next crash restarts quickly again. */
  healthy(): void {
    this.backoffMs = 500;
  }

  /** Stops the engine with its clean-shutdown signal, then SIGKILL after the grace period. */
  async stop(graceMs = 30_000): Promise<void> {
    this.wanted = false;
    if (this.timer) clearTimeout(this.timer);
    const pid = this.pid;
    if (pid === undefined || !alive(pid)) {
      this.state = 'stopped';
      return;
    }
    await terminate([pid], graceMs, { signal: this.command.stopSignal ?? 'SIGTERM', killWaitMs: 0 });
    this.child = undefined;
    this.adoptedPid = undefined;
    this.state = 'stopped';
  }
}
