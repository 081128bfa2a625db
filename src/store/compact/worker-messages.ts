import type { DatasetFormat, MalformedLine, MalformedPolicy } from '../load-dataset.js';
import type { CompactStoreParts, HashedParts } from './compact-store.js';

/** What the main thread hands the loader worker (as `workerData`). */
export interface LoadRequest {
  path: string;
  onMalformed: MalformedPolicy;
  readSize?: number;
  segmentSize?: number;
  progressIntervalMs: number;
  /**
   * A text file's store is handed over as soon as its hash index is built ('indexed'),
   * in shared memory, and its key order when sorted ('sorted'); the sort's scratch
   * memory is at most this share of the file's size. Unset: one 'loaded' message.
   */
  handOverBeforeSort?: { maxSortScratchShare: number };
}

export interface LoadProgress {
  /** Bytes read so far. */
  bytes: number;
  /** The file's size. */
  totalBytes: number;
  /** Lines parsed so far (0 while a snapshot loads: it has no lines to parse). */
  lines: number;
  elapsedMs: number;
}

/** The summary fields only the worker knows; the main thread adds the rest. */
export interface LoadedSummary {
  version: string;
  format: DatasetFormat;
  bytes: number;
  lines: number;
  duplicatesOverridden: number;
  malformedSkipped: number;
}

export type WorkerMessage =
  | ({ type: 'progress' } & LoadProgress)
  | { type: 'loaded'; parts: CompactStoreParts; summary: LoadedSummary; malformedSamples: MalformedLine[] }
  | { type: 'indexed'; parts: HashedParts; summary: LoadedSummary; malformedSamples: MalformedLine[] }
  | { type: 'sorted'; order: Uint32Array }
  /** `datasetError`: the message is a DatasetLoadError's, meant for an operator as it is. */
  | { type: 'failed'; message: string; datasetError: boolean };
