import type { ChildProcess } from 'node:child_process';

/**
 * Resolves with the end of its stderr when the child exits 0; rejects with its last stderr lines otherwise. Waits for the
 * exit and for stderr to end, not for 'close': a child whose stdout was handed to another
 * process (a pipe between two tools) may never close that stream on this side.
 */
export function exitOf(child: ChildProcess, what: string): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const stderrEnded = child.stderr ? new Promise<void>((resolve) => child.stderr!.once('close', () => resolve())) : Promise.resolve();
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${what} could not run: ${err.message}`)));
    child.once('exit', (code, signal) => {
      void stderrEnded.then(() => {
        if (code === 0) return resolve(stderr);
        const lines = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`${what} failed (${signal ?? `exit ${code}`})${lines ? `: ${lines}` : ''}`));
      });
    });
  });
}
