import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { KeyValueStore, StoreBuilder } from './key-value-store.js';
import { LineParser, MALFORMED_REASON_TEXT, type MalformedReason } from './line-parser.js';
import { MapStoreBuilder } from './map-store.js';

export type MalformedPolicy = 'fail' | 'skip';

export interface MalformedLine {
  line: number;
  reason: MalformedReason;
}

export interface DatasetSummary {
  /** Derived from the file's bytes only: every replica that loads the same content reports the same version. */
  version: string;
  source: string;
  keys: number;
  /** Size of the data file. */
  bytes: number;
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
export const VERSION_HEX_DIGITS = 16;
export const DEFAULT_READ_SIZE = 1 << 20;

/** A data file that cannot become a dataset. The message is meant for an operator, as is. */
export class DatasetLoadError extends Error {
  override readonly name = 'DatasetLoadError';
}

export async function loadDataset(path: string, options: LoadOptions): Promise<Dataset> {
  const startedAt = performance.now();
  const readSize = options.readSize ?? DEFAULT_READ_SIZE;
  // A zero-length read would look like the end of the file.
  if (!Number.isSafeInteger(readSize) || readSize < 1) throw new RangeError('readSize must be a positive integer');
  await assertRegularFile(path);

  const builder = (options.createBuilder ?? (() => new MapStoreBuilder()))();
  const malformedSamples: MalformedLine[] = [];
  let malformedCount = 0;
  const parser = new LineParser(
    (bytes, keyStart, keyEnd, valueEnd) => builder.add(bytes, keyStart, keyEnd, valueEnd),
    (line, reason) => {
      malformedCount++;
      if (malformedSamples.length < MALFORMED_SAMPLE_LIMIT) malformedSamples.push({ line, reason });
    },
  );

  const hash = createHash('sha256');
  let bytes = 0;
  const file = await openForReading(path);
  try {
    const buffer = Buffer.allocUnsafe(readSize);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      parser.push(chunk);
      bytes += bytesRead;
    }
    parser.end();
  } catch (error) {
    throw new DatasetLoadError(`Cannot read data file "${path}": ${describeFsError(error)}.`);
  } finally {
    await file.close();
  }

  if (malformedCount > 0 && options.onMalformed === 'fail') {
    throw new DatasetLoadError(describeMalformed(path, malformedCount, malformedSamples));
  }

  const store = builder.finish();
  return {
    store,
    malformedSamples,
    summary: {
      version: hash.digest('hex').slice(0, VERSION_HEX_DIGITS),
      source: path,
      keys: store.size,
      bytes,
      lines: parser.lines,
      duplicatesOverridden: builder.duplicates,
      malformedSkipped: malformedCount,
      loadedAt: new Date().toISOString(),
      loadDurationMs: Math.round(performance.now() - startedAt),
    },
  };
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
    throw new DatasetLoadError(`Cannot load data file "${path}": ${describeFsError(error)}.`);
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
    throw new DatasetLoadError(`Cannot load data file "${path}": ${describeFsError(error)}.`);
  }
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file (ENOENT)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'ENOTDIR':
      return 'a part of the path is not a directory (ENOTDIR)';
    case 'EISDIR':
      return 'it is a directory (EISDIR)';
    case 'ELOOP':
      return 'too many symbolic links (ELOOP)';
    default:
      return code ? `${(error as Error).message}` : String(error);
  }
}
