import { performance } from 'node:perf_hooks';
import type { Dataset, MalformedLine } from '../load-dataset.js';
import { CompactStore, type CompactStoreParts } from './compact-store.js';
import type { LoadedSummary } from './worker-messages.js';

/**
 * The dataset made of loaded parts: the store, and the summary completed with what only
 * the loading thread knows (the source path, the key count, when and how long), in
 * `loadDataset`'s field order.
 */
export function loadedDataset(
  path: string,
  parts: CompactStoreParts,
  loaded: LoadedSummary,
  malformedSamples: MalformedLine[],
  startedAt: number,
): Dataset {
  const store = new CompactStore(parts);
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
