/**
 * The storage engine's one entry point for the rest of the application. The engine is
 * plain TypeScript (no Nest): it parses data files, builds the compact store in a
 * worker thread, and answers look-ups.
 */
export { loadDatasetInWorker, type LoadProgress, type WorkerLoadOptions } from './compact/index.js';
export type { KeyValueStore } from './key-value-store.js';
export { compareUtf8 } from './key-value-store.js';
export { isPossibleKey, MALFORMED_REASON_TEXT } from './line-parser.js';
export { DatasetLoadError, type Dataset, type DatasetSummary, type MalformedPolicy } from './load-dataset.js';
