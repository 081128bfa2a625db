/**
 * The storage engine's one entry point for the rest of the application. The engine is
 * plain TypeScript (no Nest): it parses data files, builds the compact store in a
 * worker thread, and answers look-ups.
 *
 * `loadDatasetInWorker` loads either kind of data file, a text file or a snapshot (told
 * apart by their first bytes), in a worker thread; `summary.format` says which.
 */
export { loadDatasetInWorker, type LoadProgress, type WorkerLoadOptions } from './compact/index.js';
export { collectGarbage } from './compact/collect-garbage.js';
export type { KeyValueStore } from './key-value-store.js';
export { compareUtf8 } from './key-value-store.js';
export { isPossibleKey, MALFORMED_REASON_TEXT } from './line-parser.js';
export {
  DatasetLoadError,
  MALFORMED_POLICIES,
  type Dataset,
  type DatasetFormat,
  type DatasetSummary,
  type MalformedPolicy,
} from './load-dataset.js';
