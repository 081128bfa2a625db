import { performance } from 'node:perf_hooks';
import { CompactStore } from './compact/compact-store.js';
import { loadDatasetInWorker, type WorkerLoadOptions } from './compact/load-in-worker.js';
import { datasetVersion, type Dataset } from './load-dataset.js';
import { openSnapshotOrText } from './snapshot/open-data-file.js';
import { readSnapshotParts } from './snapshot/read-snapshot.js';

/**
 * Loads a data file of either kind, told apart by its first bytes, never by its name:
 * a text file is parsed and indexed in a worker thread (loadDatasetInWorker); a
 * snapshot is read into the memory it is served from, by asynchronous reads in libuv's
 * thread pool, each 8 MiB piece checksummed on this thread as it arrives (a few
 * milliseconds each), so the event loop keeps answering meanwhile. That saves a
 * worker's start-up (80 to 160 ms on the 2-vCPU machines here) and the transfer.
 *
 * Either way the same content gives the same summary but for `format`, `source` and
 * `bytes` (the file loaded). Errors are DatasetLoadErrors naming the file.
 */
export async function loadDataFile(path: string, options: WorkerLoadOptions): Promise<Dataset> {
  const startedAt = performance.now();
  const opened = await openSnapshotOrText(path);
  if (opened.format === 'text') return loadDatasetInWorker(path, options);

  const { file, header, fileBytes } = opened;
  let parts;
  try {
    let reportedAt = startedAt;
    const interval = options.progressIntervalMs ?? 1000;
    parts = await readSnapshotParts(path, file, header, ({ bytes, totalBytes }) => {
      const now = performance.now();
      if (now - reportedAt < interval) return;
      reportedAt = now;
      options.onProgress?.({ bytes, totalBytes, lines: 0, elapsedMs: Math.round(now - startedAt) });
    });
  } finally {
    await file.close();
  }
  const store = new CompactStore(parts);
  return {
    store,
    // The build reported them; the snapshot keeps the counts, not the lines.
    malformedSamples: [],
    summary: {
      version: datasetVersion(header.sourceSha256),
      source: path,
      format: 'snapshot',
      keys: store.size,
      bytes: fileBytes,
      lines: header.lines,
      duplicatesOverridden: header.duplicatesOverridden,
      malformedSkipped: header.malformedSkipped,
      loadedAt: new Date().toISOString(),
      loadDurationMs: Math.round(performance.now() - startedAt),
    },
  };
}
