/**
 * The storage engine's one entry point for the rest of the application. The engine is
 * plain TypeScript (no Nest): it parses data files, builds the compact store in a
 * worker thread, and answers look-ups.
 *
 * `loadDataFile` loads either kind of data file, a text file (parsed in a worker) or a
 * snapshot (read with asynchronous I/O), told apart by their first bytes;
 * `summary.format` says which.
 */
export { type LoadProgress, type WorkerLoadOptions } from './compact/index.js';
export { loadDataFile } from './load-data-file.js';
/** The name the server imported before snapshots: the same function as loadDataFile. */
export { loadDataFile as loadDatasetInWorker } from './load-data-file.js';
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
