import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DatasetLoadError, type Dataset, type LoadOptions } from '../load-dataset.js';
import { CompactStore } from './compact-store.js';
import { loadedDataset } from './loaded-dataset.js';
import { assertSegmentSize } from './compact-store-builder.js';
import { compactLoadWorkerUrl } from './compact-worker-path.js';
import type { LoadProgress, LoadRequest, WorkerMessage } from './worker-messages.js';

export type { LoadProgress } from './worker-messages.js';

export interface WorkerLoadOptions extends Omit<LoadOptions, 'createBuilder'> {
  /** Called from the main thread about every `progressIntervalMs` while the file is read. */
  onProgress?: (progress: LoadProgress) => void;
  /** Default 1000; small values are for tests. */
  progressIntervalMs?: number;
  /** Largest segment of the store in bytes; small values are for tests. */
  segmentSize?: number;
  /** Aborting stops the worker at once (its memory goes with it) and rejects the load. */
  signal?: AbortSignal;
  /**
   * A text file's dataset resolves as soon as look-ups can be answered, with the key
   * order still being sorted: its store's `keyOrderPending` settles when listings can
   * be (a 10M-line file: about 1.5 s sooner, for 5% more memory during the sort). Its
   * records are in shared memory, which `release` cannot detach, only drop and collect
   * (one full collection): meant for a first load, whose sort no earlier dataset waits on.
   */
  answerBeforeSorted?: boolean;
}

/** The sort's scratch memory, as a share of the file's size, when `answerBeforeSorted`. */
const SORT_SCRATCH_SHARE = 1 / 16;

const DEFAULT_PROGRESS_INTERVAL_MS = 1000;

/**
 * Loads a data file into a CompactStore in a worker thread, so the event loop stays
 * free while a large file loads. A text file loads as with `loadDataset` (same options
 * but the builder, same errors: DatasetLoadError with the same messages, same summary);
 * a snapshot, recognised by its magic bytes whatever its name, is read and verified;
 * `summary.format` says which. The store's memory is transferred from the worker, not
 * copied.
 */
export function loadDatasetInWorker(path: string, options: WorkerLoadOptions): Promise<Dataset> {
  const startedAt = performance.now();
  const request: LoadRequest = {
    path,
    onMalformed: options.onMalformed,
    readSize: options.readSize,
    segmentSize: options.segmentSize,
    progressIntervalMs: options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
    handOverBeforeSort: options.answerBeforeSorted ? { maxSortScratchShare: SORT_SCRATCH_SHARE } : undefined,
  };
  return new Promise<Dataset>((resolve, reject) => {
    // Thrown here, it rejects the promise: a programming error, not a DatasetLoadError.
    if (options.segmentSize !== undefined) assertSegmentSize(options.segmentSize);
    const abandoned = () => new DatasetLoadError(`The load of "${path}" was abandoned.`);
    if (options.signal?.aborted) return reject(abandoned());
    let worker: Worker;
    try {
      worker = new Worker(compactLoadWorkerUrl, { workerData: request });
    } catch (error) {
      reject(workerFailure(path, `the loader thread did not start: ${messageOf(error)}`));
      return;
    }
    let settled = false;
    /** Set between 'indexed' and 'sorted': the dataset is out, its key order not yet. */
    let keyOrder: { resolve: (order: Uint32Array) => void; reject: (error: Error) => void } | undefined;
    const abandon = () => fail(abandoned());
    const fail = (error: Error) => {
      if (keyOrder !== undefined) {
        keyOrder.reject(error);
        keyOrder = undefined;
        void worker.terminate();
      }
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abandon);
      void worker.terminate();
      reject(error);
    };
    options.signal?.addEventListener('abort', abandon, { once: true });
    const settle = (dataset: Dataset) => {
      settled = true;
      options.signal?.removeEventListener('abort', abandon);
      resolve(dataset);
    };

    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'sorted') {
        const waiting = keyOrder;
        const order = message.order;
        keyOrder = undefined;
        // Handed on once the thread is gone: then only the store holds the shared
        // records, and its `release` can free them. (No closure may capture `message`:
        // sharing this call's context, `stop` below would keep an 'indexed' one alive.)
        void worker.terminate().then(() => waiting?.resolve(order));
        return;
      }
      if (message.type === 'failed') {
        // Before the sort ended, this fails the key order of a dataset already handed out.
        fail(message.datasetError ? new DatasetLoadError(message.message) : workerFailure(path, message.message));
        return;
      }
      if (settled) {
        // Loaded just as it was abandoned: nobody takes this store, so free it now.
        if (message.type === 'loaded') new CompactStore(message.parts).release();
        return;
      }
      if (message.type === 'progress') {
        const { bytes, totalBytes, lines, elapsedMs } = message;
        try {
          options.onProgress?.({ bytes, totalBytes, lines, elapsedMs });
        } catch (error) {
          fail(error as Error);
        }
      } else if (message.type === 'indexed') {
        const order = new Promise<Uint32Array>((resolve, reject) => (keyOrder = { resolve, reject }));
        const stop = () => fail(new DatasetLoadError(`The key order of "${path}" was abandoned.`));
        const store = CompactStore.awaitingKeyOrder(message.parts, order, stop);
        settle(loadedDataset(path, store, message.summary, message.malformedSamples, startedAt));
      } else {
        settle(
          loadedDataset(path, new CompactStore(message.parts), message.summary, message.malformedSamples, startedAt),
        );
      }
    });
    // A crash (an uncaught error, running out of memory) ends in 'error' and/or 'exit':
    // either way the promise settles, it never hangs.
    worker.on('error', (error) => fail(workerFailure(path, `the loader thread failed: ${error.message}`)));
    worker.on('exit', (code) =>
      fail(workerFailure(path, `the loader thread exited with code ${code} before it finished`)),
    );
  });
}

function workerFailure(path: string, cause: string): DatasetLoadError {
  return new DatasetLoadError(`Cannot load data file "${path}": ${cause}.`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
