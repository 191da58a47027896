import { parentPort, workerData } from 'node:worker_threads';
import { uploadBackup } from '../object-storage/backup-pipeline.js';
import { backupKeyFrom } from '../object-storage/encryption.js';
import { openObjectStore } from '../object-storage/open-store.js';
import { startTool } from './tool-process.js';
import type { UploadJob, WorkerMessage } from './upload-job.js';

/* The worker thread of one backup (see upload-job.ts): runs the tool and the pipeline, reports back. */

/** Progress is worth a message every few MB, not every 64 KiB piece. */
const PROGRESS_BYTES = 8 * 1024 * 1024;

const job = workerData as UploadJob;
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);
let tool: ReturnType<typeof startTool> | undefined;
let aborted = false;
port.on('message', (message) => {
  if (message !== 'abort') return;
  aborted = true;
  tool?.abort();
});

try {
  const store = await openObjectStore(job.store);
  let reported = 0;
  const uploaded = uploadBackup(
    (stdout) => {
      tool = startTool(job.tool, stdout);
      if (aborted) tool.abort();
    },
    { store, container: job.container, key: job.key, encryption: backupKeyFrom(job.encryption) },
    (bytes) => {
      if (bytes - reported < PROGRESS_BYTES) return;
      reported = bytes;
      post({ type: 'progress', bytes });
    },
  );
  // Both awaited together: a tool that fails before the upload ends must not go unheard.
  const [stored, stderr] = await Promise.all([uploaded, tool!.exited]);
  post({ type: 'done', stored, stderr });
} catch (err) {
  tool?.abort();
  post({ type: 'failed', message: (err as Error).message });
}
port.close();
