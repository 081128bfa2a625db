/**
 * The loader worker: reads, parses and indexes a data file off the main thread, then
 * transfers the store's memory to it. Started by loadDatasetInWorker; it scans the file
 * with the same `scanDataFile` as loadDataset, so errors and summaries come out the same.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { DatasetLoadError, scanDataFile } from '../load-dataset.js';
import { CompactStoreBuilder } from './compact-store-builder.js';
import type { LoadRequest, WorkerMessage } from './worker-messages.js';

async function load(request: LoadRequest): Promise<{ message: WorkerMessage; transferList: ArrayBuffer[] }> {
  const startedAt = performance.now();
  let reportedAt = startedAt;
  let totalBytes = 0;
  let builder: CompactStoreBuilder | undefined;
  const scan = await scanDataFile(request.path, {
    onMalformed: request.onMalformed,
    readSize: request.readSize,
    onOpen: (size) => {
      totalBytes = size;
      builder = new CompactStoreBuilder({ expectedBytes: size, segmentSize: request.segmentSize });
    },
    onChunk: (chunk, bytes, lines) => {
      // The builder keeps the file's own bytes: one native copy per chunk, not per line.
      builder!.acceptChunk(chunk);
      const now = performance.now();
      if (now - reportedAt >= request.progressIntervalMs) {
        reportedAt = now;
        post({ type: 'progress', bytes, totalBytes, lines, elapsedMs: Math.round(now - startedAt) });
      }
    },
    onEntry: (bytes, keyStart, keyEnd, valueEnd) => builder!.add(bytes, keyStart, keyEnd, valueEnd),
  });

  const { parts, transferList } = builder!.finish().toParts();
  const summary = {
    version: scan.version,
    bytes: scan.bytes,
    lines: scan.lines,
    duplicatesOverridden: builder!.duplicates,
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
