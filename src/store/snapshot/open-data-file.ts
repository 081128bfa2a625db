import type { FileHandle } from 'node:fs/promises';
import { assertRegularFile, openForReading } from '../load-dataset.js';
import { readHeader, readStart } from './read-snapshot.js';
import { looksLikeSnapshot } from './snapshot-format.js';
import type { SnapshotHeader } from './snapshot-format.js';

export type OpenedDataFile =
  { format: 'snapshot'; file: FileHandle; fileBytes: number; header: SnapshotHeader } | { format: 'text' };

/**
 * Tells a snapshot from a text file by its first bytes, never by its name. A snapshot
 * comes back open, its header read and checked (a damaged one throws a SnapshotError);
 * a text file is closed again for scanDataFile to read. A missing or non-regular file
 * throws the text loader's own DatasetLoadError.
 */
export async function openSnapshotOrText(path: string): Promise<OpenedDataFile> {
  await assertRegularFile(path);
  const file = await openForReading(path);
  try {
    const fileBytes = (await file.stat()).size;
    const start = await readStart(file, fileBytes);
    if (!looksLikeSnapshot(start, fileBytes)) {
      await file.close();
      return { format: 'text' };
    }
    return { format: 'snapshot', file, fileBytes, header: await readHeader(path, file, fileBytes, start) };
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
}
