import { buildCompactStoreFromText } from '../compact/build-from-text.js';
import type { MalformedPolicy, ScanResult } from '../load-dataset.js';
import type { SnapshotHeader } from './snapshot-format.js';
import { SnapshotWriter } from './write-snapshot.js';

export interface SnapshotBuildProgress {
  phase: 'reading' | 'indexing' | 'writing';
  bytes: number;
  totalBytes: number;
  lines?: number;
}

/**
 * `kv-server build`'s work: reads the text file `input` with the server's rules and
 * writes its snapshot to `output`, atomically. Most of the file is written while the
 * keys are sorted (see SnapshotWriter), which takes about a quarter off a large build.
 * Throws the server's DatasetLoadError for a bad input and SnapshotWriteError for an
 * output that cannot be written; either way nothing is left at `output` or beside it.
 */
export async function buildSnapshot(
  input: string,
  output: string,
  options: {
    onMalformed: MalformedPolicy;
    onProgress?: (progress: SnapshotBuildProgress) => void;
    /** The temporary file's path, once it exists: for a caller that removes it when the process is killed. */
    onTemporaryFile?: (path: string) => void;
  },
): Promise<{ header: SnapshotHeader; scan: ScanResult }> {
  const report = options.onProgress ?? (() => {});
  // Opened first: an output that cannot be written fails before the input is read.
  const writer = await SnapshotWriter.open(output, input, ({ bytes, totalBytes }) =>
    report({ phase: 'writing', bytes, totalBytes }),
  );
  options.onTemporaryFile?.(writer.temporaryPath);
  let built;
  try {
    built = await buildCompactStoreFromText(input, {
      onMalformed: options.onMalformed,
      onParsed: (bytes, totalBytes, lines) => report({ phase: 'reading', bytes, totalBytes, lines }),
      onIndexing: () => report({ phase: 'indexing', bytes: 0, totalBytes: 0 }),
      onHashIndexBuilt: (parts) => writer.writeAllButKeyOrder(parts),
    });
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  const { store, scan } = built;
  const header = await writer.complete(store, {
    sha256: scan.sha256,
    bytes: scan.bytes,
    lines: scan.lines,
    malformedSkipped: scan.malformedCount,
  });
  return { header, scan };
}
