import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { KeyValueStore, StoreBuilder } from './key-value-store.js';
import { LineParser, MALFORMED_REASON_TEXT, type EntrySink, type MalformedReason } from './line-parser.js';
import { MapStoreBuilder } from './map-store.js';
import { readChunks } from './read-chunks.js';
import { describeFileError } from './file-errors.js';

/** What happens to a file with malformed lines (contract section 1): refuse it, or leave them out. */
export const MALFORMED_POLICIES = ['fail', 'skip'] as const;
export type MalformedPolicy = (typeof MALFORMED_POLICIES)[number];

export interface MalformedLine {
  line: number;
  reason: MalformedReason;
}

export type DatasetFormat = 'text' | 'snapshot';

export interface DatasetSummary {
  /**
   * Derived from the text file's bytes only: every replica that loads the same content
   * reports the same version, whether from the text file or from a snapshot of it.
   */
  version: string;
  source: string;
  /** A text data file, or a snapshot built from one (recognised by its magic bytes). */
  format: DatasetFormat;
  keys: number;
  /** Size of the file loaded (the snapshot's own size for a snapshot). */
  bytes: number;
  /** Lines of the text file (for a snapshot: of the text it was built from). */
  lines: number;
  duplicatesOverridden: number;
  malformedSkipped: number;
  /** RFC 3339. */
  loadedAt: string;
  loadDurationMs: number;
}

export interface Dataset {
  store: KeyValueStore;
  summary: DatasetSummary;
  /** The first few malformed lines (only with the `skip` policy; `fail` throws instead). */
  malformedSamples: MalformedLine[];
}

export interface LoadOptions {
  onMalformed: MalformedPolicy;
  createBuilder?: () => StoreBuilder;
  /** Size of each read; small values are for tests that exercise lines split across reads. */
  readSize?: number;
}

/** How many malformed lines an error message or a log names; the total is always given. */
export const MALFORMED_SAMPLE_LIMIT = 10;
/** The version is this many hex digits of the file's SHA-256. */
const VERSION_HEX_DIGITS = 16;
const DEFAULT_READ_SIZE = 1 << 20;

/** A data file that cannot become a dataset. The message is meant for an operator, as is. */
export class DatasetLoadError extends Error {
  override readonly name = 'DatasetLoadError';
}

export async function loadDataset(path: string, options: LoadOptions): Promise<Dataset> {
  const startedAt = performance.now();
  const builder = (options.createBuilder ?? (() => new MapStoreBuilder()))();
  const scan = await scanDataFile(path, {
    onMalformed: options.onMalformed,
    readSize: options.readSize,
    onEntry: (bytes, keyStart, keyEnd, valueEnd) => builder.add(bytes, keyStart, keyEnd, valueEnd),
  });
  const store = builder.finish();
  return {
    store,
    malformedSamples: scan.malformedSamples,
    summary: {
      version: scan.version,
      source: path,
      format: 'text',
      keys: store.size,
      bytes: scan.bytes,
      lines: scan.lines,
      duplicatesOverridden: builder.duplicates,
      malformedSkipped: scan.malformedCount,
      loadedAt: new Date().toISOString(),
      loadDurationMs: Math.round(performance.now() - startedAt),
    },
  };
}

export interface ScanOptions {
  onMalformed: MalformedPolicy;
  readSize?: number;
  /** Every well-formed line, as byte offsets into a buffer that is only valid during the call. */
  onEntry: EntrySink;
  /** Called once the file is open, with its size, before the first read. */
  onOpen?: (totalBytes: number) => void;
  /** Every chunk read, before it is parsed (only valid during the call). */
  onChunk?: (chunk: Buffer, bytesSoFar: number) => void;
  /** After every chunk is parsed: bytes read and lines counted so far, for progress. */
  onParsed?: (bytesSoFar: number, linesSoFar: number) => void;
  /**
   * Memory to read the next `length` bytes into, the store's own (so that no copy is
   * made), or undefined for the scan's own buffers. It must not be in use before the
   * chunk read into it is passed to `onChunk`.
   */
  readTarget?: (length: number) => Buffer | undefined;
  /** Hashes files of PARALLEL_HASH_MIN_BYTES or more elsewhere, instead of on this thread. */
  parallelSha256?: ParallelSha256;
}

/**
 * Starts hashing the first `size` bytes of the open file `fd` on another thread. The
 * file stays open until `digest` settles or `cancel()` resolves.
 */
export type ParallelSha256 = (
  fd: number,
  size: number,
) => { digest: Promise<{ sha256: string; bytes: number }>; cancel(): Promise<void> };

/** Below this a thread of its own costs more than it saves. */
export const PARALLEL_HASH_MIN_BYTES = 64 * 1024 * 1024;

export interface ScanResult {
  /** The first hex digits of the SHA-256 of the file's bytes. */
  version: string;
  /** The SHA-256 of the file's bytes, hex. */
  sha256: string;
  bytes: number;
  lines: number;
  malformedCount: number;
  malformedSamples: MalformedLine[];
}

/**
 * Reads a data file once, in chunks: checks it is a regular file, hashes it for the
 * version, parses it, and applies the malformed-line policy (`fail` throws a
 * `DatasetLoadError` naming the first lines). Shared by every engine's loader, on the
 * main thread or in a worker, so that errors and summaries are the same everywhere.
 */
export async function scanDataFile(path: string, options: ScanOptions): Promise<ScanResult> {
  const readSize = options.readSize ?? DEFAULT_READ_SIZE;
  // A zero-length read would look like the end of the file.
  if (!Number.isSafeInteger(readSize) || readSize < 1) throw new RangeError('readSize must be a positive integer');
  await assertRegularFile(path);

  const malformedSamples: MalformedLine[] = [];
  let malformedCount = 0;
  const parser = new LineParser(options.onEntry, (line, reason) => {
    malformedCount++;
    if (malformedSamples.length < MALFORMED_SAMPLE_LIMIT) malformedSamples.push({ line, reason });
  });

  const hash = createHash('sha256');
  let bytes = 0;
  const file = await openForReading(path);
  let parallel: ReturnType<ParallelSha256> | undefined;
  let sha256: string;
  try {
    const opened = await file.stat({ bigint: true });
    const size = Number(opened.size);
    options.onOpen?.(size);
    if (options.parallelSha256 && size >= PARALLEL_HASH_MIN_BYTES) parallel = options.parallelSha256(file.fd, size);
    for await (const chunk of readChunks(file, size, readSize, options.readTarget)) {
      bytes += chunk.length;
      if (!parallel) hash.update(chunk);
      options.onChunk?.(chunk, bytes);
      parser.push(chunk);
      options.onParsed?.(bytes, parser.lines);
    }
    const counted = parser.lines;
    parser.end();
    // A last line without a newline is counted only now.
    if (parser.lines !== counted) options.onParsed?.(bytes, parser.lines);
    // A file written to while it was read is refused rather than loaded half old, half
    // new, under a version that is neither's. (Publishers rename a whole file over it.)
    if (bytes !== size) throw changedWhileRead(path, `${size} bytes when opened, ${bytes} read`);
    if (parallel) {
      const hashed = await parallel.digest;
      parallel = undefined;
      if (hashed.bytes !== size) throw changedWhileRead(path, `${size} bytes when opened, ${hashed.bytes} hashed`);
      sha256 = hashed.sha256;
    } else {
      sha256 = hash.digest('hex');
    }
    // Rewritten in place to the same length (`cp` over it): the size says nothing, the
    // times do, the change time too where a tool restores the modification time.
    // Reading changes neither. A file renamed over this one, or its removal, drops its
    // link count, which moves the change time but not the bytes read: that is no change.
    const after = await file.stat({ bigint: true });
    const linksChanged = after.nlink !== opened.nlink;
    if (
      after.mtimeNs !== opened.mtimeNs ||
      after.size !== opened.size ||
      (after.ctimeNs !== opened.ctimeNs && !linksChanged)
    ) {
      throw changedWhileRead(path, 'modified during the read');
    }
  } catch (error) {
    // A DatasetLoadError comes from a callback that refused the content: it says why.
    if (error instanceof DatasetLoadError) throw error;
    throw new DatasetLoadError(`Cannot read data file "${path}": ${describeFileError(error)}.`);
  } finally {
    try {
      // The hashing thread reads through this file's descriptor: stopped before it closes.
      await parallel?.cancel();
    } finally {
      await file.close();
    }
  }

  if (malformedCount > 0 && options.onMalformed === 'fail') {
    throw new DatasetLoadError(describeMalformed(path, malformedCount, malformedSamples));
  }
  return {
    version: datasetVersion(sha256),
    sha256,
    bytes,
    lines: parser.lines,
    malformedCount,
    malformedSamples,
  };
}

function changedWhileRead(path: string, how: string): DatasetLoadError {
  return new DatasetLoadError(
    `Cannot load data file "${path}": it changed while it was being read (${how}). ` +
      'Publish a data file by writing it beside the old one and renaming it over it.',
  );
}

/** The dataset version of a text file with this SHA-256 (hex), and of every snapshot built from it. */
export function datasetVersion(sha256: string): string {
  return sha256.slice(0, VERSION_HEX_DIGITS);
}

export function describeMalformed(path: string, total: number, samples: readonly MalformedLine[]): string {
  const listed = samples.map(({ line, reason }) => `line ${line}: ${MALFORMED_REASON_TEXT[reason]}`).join('; ');
  const plural = total === 1 ? 'line' : 'lines';
  const which = total > samples.length ? `the first ${samples.length}` : total === 1 ? 'it' : 'all of them';
  return (
    `Data file "${path}" has ${total} malformed ${plural} (${which}: ${listed}). ` +
    'Each line must be "<key> <value>": a key without whitespace, one space or tab, then the value. ' +
    'Fix the file, or set KV_ON_MALFORMED=skip to leave such lines out.'
  );
}

export async function assertRegularFile(path: string): Promise<void> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw new DatasetLoadError(`Cannot load data file "${path}": ${describeFileError(error)}.`);
  }
  // Checked before opening: opening a FIFO would block until a writer appears.
  if (!stats.isFile()) {
    const kind = stats.isDirectory() ? 'a directory' : 'not a regular file';
    throw new DatasetLoadError(
      `Cannot load data file "${path}": it is ${kind}; expected a file of "<key> <value>" lines.`,
    );
  }
}

export async function openForReading(path: string) {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw new DatasetLoadError(`Cannot load data file "${path}": ${describeFileError(error)}.`);
  }
}
