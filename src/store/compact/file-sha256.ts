import { Worker } from 'node:worker_threads';
import type { ParallelSha256 } from '../load-dataset.js';
import { sha256WorkerUrl } from './compact-worker-path.js';

export interface Sha256Request {
  fd: number;
  size: number;
}

export type Sha256Reply = { ok: true; sha256: string; bytes: number } | { ok: false; message: string };

/**
 * The SHA-256 of an open file, computed in a thread of its own while the loader parses
 * the file: hashing was a sixth of a text load's time on the loader's thread. The file
 * is read a second time for it, from the page cache, into one reused buffer.
 */
export const sha256InWorker: ParallelSha256 = (fd, size) => {
  const worker = new Worker(sha256WorkerUrl, { workerData: { fd, size } satisfies Sha256Request });
  const digest = new Promise<{ sha256: string; bytes: number }>((resolve, reject) => {
    worker.once('message', (reply: Sha256Reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.message))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hashing thread stopped (exit code ${code})`)));
  });
  // Whoever awaits it handles a failure; a load that stops first cancels it instead.
  digest.catch(() => undefined);
  return {
    digest,
    cancel: async () => {
      await worker.terminate();
    },
  };
};
