import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { UploadResult } from '../object-storage/backup-pipeline.js';
import type { ObjectStoreSpec } from '../object-storage/store-spec.js';
import type { ToolCommand } from './tool-process.js';

/** What a backup's data path needs, as plain data: it runs in a worker thread. */
export interface UploadJob {
  tool: ToolCommand;
  store: ObjectStoreSpec;
  container: string;
  key: string;
  encryption: { id: string; key: string };
}

export type WorkerMessage = { type: 'progress'; bytes: number } | { type: 'done'; stored: UploadResult; stderr: string } | { type: 'failed'; message: string };

/**
 * The worker's bundle (its S3 driver in a chunk of its own, loaded only by those who use it),
 * or the module as tsc built it.
 */
function workerFile(): URL {
  const bundled = new URL('./upload-worker/upload-worker.js', import.meta.url);
  return existsSync(fileURLToPath(bundled)) ? bundled : new URL('./upload-worker.js', import.meta.url);
}

/**
 * Runs the tool → zstd → AES-256-GCM → SHA-256 → store path in a worker thread. Its own small
 * heap is what makes this fast: the hundreds of MB of buffers a backup passes through start a
 * full collection every few dozen MB, and in the agent's heap each one cost ten times as much
 * (measured: 0.4 s of collections per 300 MB stored, and the tool kept waiting on them).
 * `abort` kills the tool and zstd; the job then fails.
 */
export function runUploadJob(job: UploadJob, onStored: (bytes: number) => void): { done: Promise<{ stored: UploadResult; stderr: string }>; abort(): void } {
  const worker = new Worker(workerFile(), { workerData: job });
  const done = new Promise<{ stored: UploadResult; stderr: string }>((resolve, reject) => {
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onStored(message.bytes);
      else if (message.type === 'done') {
        settled = true;
        resolve({ stored: message.stored, stderr: message.stderr });
      } else {
        settled = true;
        reject(new Error(message.message));
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the backup's worker ended (code ${code}) before the backup did`));
    });
  });
  return { done, abort: () => worker.postMessage('abort') };
}
