import { performance } from 'node:perf_hooks';
import type { Dataset, MalformedLine } from '../load-dataset.js';
import type { CompactStore } from './compact-store.js';
import type { LoadedSummary } from './worker-messages.js';

/**
 * The dataset made of a loaded store: the store, and the summary completed with what
 * only the loading thread knows (the source path, the key count, when and how long), in
 * `loadDataset`'s field order.
 */
export function loadedDataset(
  path: string,
  store: CompactStore,
  loaded: LoadedSummary,
  malformedSamples: MalformedLine[],
  startedAt: number,
): Dataset {
  const { version, format, bytes, lines, duplicatesOverridden, malformedSkipped } = loaded;
  return {
    store,
    malformedSamples,
    summary: {
      version,
      source: path,
      format,
      keys: store.size,
      bytes,
      lines,
      duplicatesOverridden,
      malformedSkipped,
      loadedAt: new Date().toISOString(),
      loadDurationMs: Math.round(performance.now() - startedAt),
    },
  };
}
