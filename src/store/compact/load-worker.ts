/**
 * The loader worker: reads, parses and indexes a text data file off the main thread,
 * then transfers the store's memory to it. Started by loadDatasetInWorker; it scans the
 * file with the same `scanDataFile` as loadDataset, so errors and summaries come out the
 * same.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { DatasetLoadError } from '../load-dataset.js';
import { buildCompactStoreFromText } from './build-from-text.js';
import type { LoadRequest, WorkerMessage } from './worker-messages.js';

async function load(request: LoadRequest): Promise<{ message: WorkerMessage; transferList: ArrayBuffer[] }> {
  const startedAt = performance.now();
  let reportedAt = startedAt;
  const { store, scan, duplicatesOverridden } = await buildCompactStoreFromText(request.path, {
    onMalformed: request.onMalformed,
    readSize: request.readSize,
    segmentSize: request.segmentSize,
    onChunk: (bytes, totalBytes, lines) => {
      const now = performance.now();
      if (now - reportedAt < request.progressIntervalMs) return;
      reportedAt = now;
      post({ type: 'progress', bytes, totalBytes, lines, elapsedMs: Math.round(now - startedAt) });
    },
  });
  const { parts, transferList } = store.toParts();
  const summary = {
    version: scan.version,
    bytes: scan.bytes,
    lines: scan.lines,
    duplicatesOverridden,
    malformedSkipped: scan.malformedCount,
  };
  return { message: { type: 'loaded', parts, summary, malformedSamples: scan.malformedSamples }, transferList };
}

function post(message: WorkerMessage, transferList: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transferList);
}

load(workerData as LoadRequest).then(
  ({ message, transferList }) => post(message, transferList),
  (error: unknown) => {
    const datasetError = error instanceof DatasetLoadError;
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error), datasetError });
  },
);
