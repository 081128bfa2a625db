/**
 * The loader worker: loads a data file off the main thread, then transfers the store's
 * memory to it. A text file is read, parsed and indexed, with the same `scanDataFile`
 * as loadDataset, so errors and summaries come out the same; a snapshot, recognised by
 * its magic bytes, is read into memory and its checksums verified (here too: checksumming
 * freshly read memory costs far more than the bytes suggest on some virtual machines,
 * and it would stall the event loop). Started by loadDatasetInWorker.
 *
 * A first load of a text file hands the store over in two steps (`handOverBeforeSort`):
 * everything look-ups need once the hash index is built, then the key order listings
 * need, about 40% of a load later.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { DatasetLoadError, type ScanResult } from '../load-dataset.js';
import { readOpenedSnapshot } from '../snapshot/load-snapshot.js';
import { openSnapshotOrText } from '../snapshot/open-data-file.js';
import { buildCompactStoreFromText } from './build-from-text.js';
import type { LoadedSummary, LoadRequest, WorkerMessage } from './worker-messages.js';

type Loaded = { message: WorkerMessage; transferList: ArrayBuffer[] };

async function load(request: LoadRequest): Promise<Loaded> {
  const startedAt = performance.now();
  let reportedAt = startedAt;
  const report = (bytes: number, totalBytes: number, lines: number) => {
    const now = performance.now();
    if (now - reportedAt < request.progressIntervalMs) return;
    reportedAt = now;
    post({ type: 'progress', bytes, totalBytes, lines, elapsedMs: Math.round(now - startedAt) });
  };

  const opened = await openSnapshotOrText(request.path);
  if (opened.format === 'snapshot') {
    const { parts, summary } = await readOpenedSnapshot(request.path, opened, ({ bytes, totalBytes }) =>
      report(bytes, totalBytes, 0),
    );
    const views = [...parts.segments, parts.segmentFirstEntry, parts.recordOffsets, parts.hashSlots, parts.order];
    const transferList = [...new Set(views.map((view) => view.buffer as ArrayBuffer))];
    return { message: { type: 'loaded', parts, summary, malformedSamples: [] }, transferList };
  }

  const early = request.handOverBeforeSort;
  const { store, scan, duplicatesOverridden } = await buildCompactStoreFromText(request.path, {
    onMalformed: request.onMalformed,
    readSize: request.readSize,
    segmentSize: request.segmentSize,
    onParsed: report,
    ...(early && {
      // The records stay shared: this thread sorts them while the main thread answers
      // look-ups from them. The hash index is the main thread's alone.
      sharedMemory: true,
      maxSortScratchShare: early.maxSortScratchShare,
      onHashIndexBuilt: (parts, scan) => {
        const summary = textSummary(scan, parts.recordOffsets.length - parts.keys);
        const message: WorkerMessage = { type: 'indexed', parts, summary, malformedSamples: scan.malformedSamples };
        post(message, [parts.hashSlots.buffer as ArrayBuffer]);
      },
    }),
  });
  const { parts, transferList } = store.toParts();
  if (early)
    return { message: { type: 'sorted', order: parts.order }, transferList: [parts.order.buffer as ArrayBuffer] };
  const summary = textSummary(scan, duplicatesOverridden);
  return { message: { type: 'loaded', parts, summary, malformedSamples: scan.malformedSamples }, transferList };
}

function textSummary(scan: ScanResult, duplicatesOverridden: number): LoadedSummary {
  return {
    version: scan.version,
    format: 'text',
    bytes: scan.bytes,
    lines: scan.lines,
    duplicatesOverridden,
    malformedSkipped: scan.malformedCount,
  };
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
