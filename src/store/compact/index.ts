/** The compact storage engine: data off the JavaScript heap, indexes in typed arrays, built in a worker. */
export { CompactStore, type CompactStoreParts } from './compact-store.js';
export { CompactStoreBuilder, DEFAULT_SEGMENT_SIZE, type CompactStoreOptions } from './compact-store-builder.js';
export { fnv1aHash, type KeyHash } from './key-hash.js';
export { type LoadProgress, type WorkerLoadOptions } from './load-in-worker.js';
/**
 * What the server imports under this name loads snapshots too (see ../load-data-file.ts);
 * the text-only loader is load-in-worker.js's. The server moves to ../index.js.
 */
export { loadDataFile as loadDatasetInWorker } from '../load-data-file.js';
