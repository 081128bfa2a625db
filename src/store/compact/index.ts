/** The compact storage engine: data off the JavaScript heap, indexes in typed arrays, built in a worker. */
export { CompactStore, type CompactStoreParts } from './compact-store.js';
export { CompactStoreBuilder, DEFAULT_SEGMENT_SIZE, type CompactStoreOptions } from './compact-store-builder.js';
export { fnv1aHash, type KeyHash } from './key-hash.js';
export { loadDatasetInWorker, type LoadProgress, type WorkerLoadOptions } from './load-in-worker.js';
