import { CompactStore, type CompactStoreParts } from '../compact/compact-store.js';
import { loadedDataset } from '../compact/loaded-dataset.js';
import { datasetVersion, type Dataset } from '../load-dataset.js';
import { openSnapshotOrText, type OpenedDataFile } from './open-data-file.js';
import { readSnapshotParts, type ReadProgress } from './read-snapshot.js';
import { notASnapshot } from './snapshot-format.js';

type OpenedSnapshot = Extract<OpenedDataFile, { format: 'snapshot' }>;

/** What loading a snapshot yields before its parts become a store: they can cross to another thread. */
export interface LoadedSnapshot {
  parts: CompactStoreParts;
  /** The summary's fields that come from the file, in DatasetSummary's terms. */
  summary: {
    version: string;
    format: 'snapshot';
    bytes: number;
    lines: number;
    duplicatesOverridden: number;
    malformedSkipped: number;
  };
}

/**
 * Reads an opened snapshot's sections into memory and verifies them, then closes it.
 * The same content gives the same version as its text file: the version is derived
 * from the text's SHA-256, which the header keeps.
 */
export async function readOpenedSnapshot(
  path: string,
  { file, header, fileBytes }: OpenedSnapshot,
  onProgress?: (progress: ReadProgress) => void,
): Promise<LoadedSnapshot> {
  try {
    const parts = await readSnapshotParts(path, file, header, onProgress);
    return {
      parts,
      summary: {
        version: datasetVersion(header.sourceSha256),
        format: 'snapshot',
        bytes: fileBytes,
        lines: header.lines,
        duplicatesOverridden: header.duplicatesOverridden,
        malformedSkipped: header.malformedSkipped,
      },
    };
  } finally {
    await file.close();
  }
}

/**
 * A snapshot as a Dataset, read on the calling thread (the server reads snapshots in
 * its loader worker, through loadDatasetInWorker; this is for tools and tests). A file
 * that is not a snapshot is refused.
 */
export async function loadSnapshot(path: string): Promise<Dataset> {
  const startedAt = performance.now();
  const opened = await openSnapshotOrText(path);
  if (opened.format === 'text') throw notASnapshot(path);
  const { parts, summary } = await readOpenedSnapshot(path, opened);
  return loadedDataset(path, new CompactStore(parts), summary, [], startedAt);
}
