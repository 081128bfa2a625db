import { DatasetLoadError, scanDataFile, type MalformedPolicy, type ScanResult } from '../load-dataset.js';
import { looksLikeSnapshot } from '../snapshot/snapshot-format.js';
import type { CompactStore, HashedParts } from './compact-store.js';
import { CompactStoreBuilder } from './compact-store-builder.js';
import { sha256InWorker } from './file-sha256.js';

export interface TextBuildOptions {
  onMalformed: MalformedPolicy;
  readSize?: number;
  segmentSize?: number;
  /** After every chunk is parsed: bytes read so far, the file's size, lines counted so far. */
  onParsed?: (bytes: number, totalBytes: number, lines: number) => void;
  /** Once the file is read, before the indexes are built. */
  onIndexing?: () => void;
  /**
   * Builds the hash index first and hands over the parts, with the file's scan, before
   * the sort: see CompactStoreBuilder.finish.
   */
  onHashIndexBuilt?: (parts: HashedParts, scan: ScanResult) => void;
  /** See CompactStoreBuilder's `sharedMemory`. */
  sharedMemory?: boolean;
  /** With `onHashIndexBuilt`: the sort's scratch memory is at most this share of the file's size. */
  maxSortScratchShare?: number;
}

export interface TextBuild {
  store: CompactStore;
  scan: ScanResult;
  duplicatesOverridden: number;
}

/**
 * Reads a text data file into a CompactStore on the calling thread: the loader worker's
 * work, and `kv-server build`'s before it writes the snapshot. Errors are scanDataFile's
 * (DatasetLoadError, the same messages everywhere).
 */
export async function buildCompactStoreFromText(path: string, options: TextBuildOptions): Promise<TextBuild> {
  let totalBytes = 0;
  let builder: CompactStoreBuilder | undefined;
  const scan = await scanDataFile(path, {
    onMalformed: options.onMalformed,
    readSize: options.readSize,
    onOpen: (size) => {
      totalBytes = size;
      builder = new CompactStoreBuilder({
        expectedBytes: size,
        segmentSize: options.segmentSize,
        sharedMemory: options.sharedMemory,
      });
      // Nothing parsed yet: a progress display starts at 0%, and an empty file still shows its reading.
      options.onParsed?.(0, size, 0);
    },
    onChunk: (chunk, bytes) => {
      // Asked for a snapshot (`kv-server build` on its own output, intact or damaged), or
      // a text file replaced by one after the loader looked at it: never parse one as text.
      if (bytes === chunk.length && looksLikeSnapshot(chunk, totalBytes)) {
        throw new DatasetLoadError(`Cannot read "${path}" as a text data file: it is a kv-server snapshot.`);
      }
      // The builder keeps the file's own bytes: one native copy per chunk, not per line.
      builder!.acceptChunk(chunk);
    },
    onParsed: (bytes, lines) => options.onParsed?.(bytes, totalBytes, lines),
    onEntry: (bytes, keyStart, keyEnd, valueEnd) => builder!.add(bytes, keyStart, keyEnd, valueEnd),
    readTarget: (length) => builder!.readTarget(length),
    parallelSha256: sha256InWorker,
  });
  options.onIndexing?.();
  const { onHashIndexBuilt, maxSortScratchShare } = options;
  const store = builder!.finish({
    onHashIndexBuilt: onHashIndexBuilt && ((parts) => onHashIndexBuilt(parts, scan)),
    maxSortScratchBytes: maxSortScratchShare === undefined ? undefined : maxSortScratchShare * totalBytes,
  });
  return { store, scan, duplicatesOverridden: builder!.duplicates };
}
