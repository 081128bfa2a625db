import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { CompactStore } from '../compact/compact-store.js';
import type { HashedParts } from '../compact/compact-store.js';
import { describeFileError } from '../file-errors.js';
import { sectionChecksum, type SectionChecksum } from './section-checksum.js';
import {
  encodeHeader,
  formatTraits,
  headerSize,
  layOutSections,
  SectionKind,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotHeader,
  type SnapshotSection,
} from './snapshot-format.js';

/** What a snapshot records about the text file it was built from. */
export interface SnapshotSource {
  /** The text file's SHA-256, hex: the dataset version is derived from it, as for the text file itself. */
  sha256: string;
  bytes: number;
  /** Its path; the snapshot keeps the last component. */
  path: string;
  lines: number;
  malformedSkipped: number;
}

export interface WriteProgress {
  bytes: number;
  totalBytes: number;
}

/** A snapshot that could not be written; nothing was left at the output path. */
export class SnapshotWriteError extends Error {
  override readonly name = 'SnapshotWriteError';
}

/** Writes are issued in pieces of this size, all at once: see SnapshotWriter.writeAllButKeyOrder. */
const PIECE_BYTES = 32 * 1024 * 1024;

type FileHandle = Awaited<ReturnType<typeof open>>;

/**
 * Writes `store` as a snapshot to `outputPath` atomically: into a temporary file in
 * the same directory, flushed to disk, then renamed over the output. A reader sees
 * the old file or the whole new one, never a part; on failure the temporary file is
 * removed and the output is untouched.
 */
export async function writeSnapshot(
  outputPath: string,
  store: CompactStore,
  source: SnapshotSource,
  onProgress?: (progress: WriteProgress) => void,
): Promise<SnapshotHeader> {
  const writer = await SnapshotWriter.open(outputPath, source.path, onProgress);
  return writer.complete(store, source);
}

/**
 * A snapshot written in two steps, so that most of it goes to disk while the keys are
 * still being sorted: `writeAllButKeyOrder` as soon as the hash index is built (the
 * builder's `onHashIndexBuilt`), then `complete` with the finished store. Every write
 * is issued at once, because the thread that would issue the next one is busy sorting;
 * libuv's threads carry them out meanwhile. Atomic as writeSnapshot
 * is; `abandon` removes the temporary file when the build fails before `complete`.
 */
export class SnapshotWriter {
  private readonly pending: Promise<void>[] = [];
  private firstError: unknown;
  private written = 0;
  /** Where each section goes, and the counts the header records; set by writeAllButKeyOrder. */
  private layout:
    | {
        sections: SnapshotSection[];
        fileBytes: number;
        headerBytes: number;
        keys: number;
        entries: number;
        tagBits: number;
      }
    | undefined;

  private constructor(
    private readonly outputPath: string,
    private readonly temporary: string,
    /** The text file's name, which the header records (and whose length sets the header's). */
    private readonly sourceName: string,
    private file: FileHandle | undefined,
    private readonly checksum: SectionChecksum,
    private readonly onProgress?: (progress: WriteProgress) => void,
  ) {}

  /** Creates the temporary file beside `outputPath`: a missing directory or a permission fails here, before any work. */
  static async open(
    outputPath: string,
    sourcePath: string,
    onProgress?: (progress: WriteProgress) => void,
  ): Promise<SnapshotWriter> {
    // A directory cannot be renamed over: say so now, not after the whole build.
    const existing = await stat(outputPath).catch(() => undefined);
    if (existing?.isDirectory() || outputPath.endsWith(sep) || basename(outputPath) === '..') {
      throw new SnapshotWriteError(`Cannot write snapshot "${outputPath}": it is a directory; name a file in it.`);
    }
    const temporary = join(dirname(outputPath), `.${basename(outputPath)}.${randomBytes(6).toString('hex')}.tmp`);
    const checksum = await sectionChecksum(formatTraits(SNAPSHOT_FORMAT_VERSION).sectionChecksum);
    try {
      const file = await open(temporary, 'wx', 0o644);
      return new SnapshotWriter(outputPath, temporary, basename(sourcePath), file, checksum, onProgress);
    } catch (error) {
      throw new SnapshotWriteError(`Cannot write snapshot "${outputPath}": ${describe(error)}.`);
    }
  }

  /** Lays the file out and starts writing every section but the key order (only its length is known). */
  writeAllButKeyOrder(parts: HashedParts): void {
    if (this.layout) throw new Error('SnapshotWriter.writeAllButKeyOrder() called twice');
    const contents = [
      { kind: SectionKind.SegmentFirstEntries, data: bytesOf(parts.segmentFirstEntry) },
      { kind: SectionKind.RecordOffsets, data: bytesOf(parts.recordOffsets) },
      { kind: SectionKind.KeyOrder, data: undefined, length: 4 * parts.keys },
      { kind: SectionKind.HashSlots, data: bytesOf(parts.hashSlots) },
      ...parts.segments.map((segment) => ({ kind: SectionKind.RecordSegment, data: bytesOf(segment) })),
    ];
    const headerBytes = headerSize(Buffer.byteLength(this.sourceName, 'utf8'), contents.length);
    const placed = layOutSections(
      headerBytes,
      contents.map(({ kind, data, length }) => ({ kind, length: data?.length ?? length ?? 0 })),
    );
    // Issued before the checksums are computed, so the disk starts at once.
    contents.forEach(({ data }, i) => {
      if (!data) return;
      for (let at = 0; at < data.length; at += PIECE_BYTES) {
        this.issue(data.subarray(at, at + PIECE_BYTES), placed.sections[i].offset + at);
      }
    });
    const sections = placed.sections.map((section, i) => {
      const data = contents[i].data;
      // The key order's is set once it is sorted (complete).
      return { ...section, checksum: data ? this.checksumOf(data) : 0n };
    });
    this.layout = {
      sections,
      fileBytes: placed.fileBytes,
      headerBytes,
      keys: parts.keys,
      entries: parts.recordOffsets.length,
      tagBits: parts.tagBits,
    };
  }

  /** Writes what is left (the key order, the header), flushes it to disk and renames it over the output. */
  async complete(store: CompactStore, source: Omit<SnapshotSource, 'path'>): Promise<SnapshotHeader> {
    try {
      const { parts } = store.toParts();
      if (!this.layout) this.writeAllButKeyOrder({ ...parts, keys: store.size });
      const layout = this.layout!;
      if (parts.order.length !== layout.keys) {
        throw new Error(`the store has ${parts.order.length} keys where ${layout.keys} were announced`);
      }
      const orderIndex = layout.sections.findIndex(({ kind }) => kind === SectionKind.KeyOrder);
      const order = bytesOf(parts.order);
      this.issue(order, layout.sections[orderIndex].offset);
      layout.sections[orderIndex].checksum = this.checksumOf(order);
      await Promise.all(this.pending);
      if (this.firstError !== undefined) throw this.firstError;
      const fields = {
        builtAt: Date.now(),
        sourceSha256: source.sha256,
        sourceBytes: source.bytes,
        sourceName: this.sourceName,
        lines: source.lines,
        keys: layout.keys,
        entries: layout.entries,
        duplicatesOverridden: layout.entries - layout.keys,
        malformedSkipped: source.malformedSkipped,
        tagBits: layout.tagBits,
      };
      const header = encodeHeader(fields, layout.sections, layout.fileBytes);
      await writeAll(this.file!, header, 0);
      // Everything is written now, the alignment padding between sections included.
      this.written = layout.fileBytes;
      this.report();
      if (this.firstError !== undefined) throw this.firstError;
      // Flushed before the rename: after a crash the output is the old file or the whole new one.
      await this.file!.sync();
      await this.file!.close();
      this.file = undefined;
      await rename(this.temporary, this.outputPath);
      return {
        ...fields,
        formatVersion: header.readUInt32LE(8),
        headerBytes: layout.headerBytes,
        fileBytes: layout.fileBytes,
        sections: layout.sections,
      };
    } catch (error) {
      await this.abandon();
      throw new SnapshotWriteError(`Cannot write snapshot "${this.outputPath}": ${describe(error)}.`);
    }
  }

  /** Waits for the writes in flight, then removes the temporary file; the output is untouched. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.pending);
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
    await rm(this.temporary, { force: true });
  }

  private checksumOf(data: Uint8Array): bigint {
    this.checksum.start();
    this.checksum.update(data);
    return this.checksum.finish();
  }

  private issue(data: Uint8Array, position: number): void {
    const write = writeAll(this.file!, data, position).then(
      () => {
        this.written += data.length;
        this.report();
      },
      (error: unknown) => {
        this.firstError ??= error;
      },
    );
    this.pending.push(write);
  }

  /** Progress so far; a failing progress callback fails the write (and leaves nothing behind), it is not lost. */
  private report(): void {
    if (!this.layout || !this.onProgress) return;
    try {
      this.onProgress({ bytes: this.written, totalBytes: this.layout.fileBytes });
    } catch (error) {
      this.firstError ??= error;
    }
  }

  /** The temporary file's path: removed on failure, renamed over the output on success. */
  get temporaryPath(): string {
    return this.temporary;
  }
}

function bytesOf(view: Uint8Array | Uint32Array): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

async function writeAll(file: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** In the words of every file error, but a missing directory: ENOENT is the output's directory here. */
function describe(error: unknown): string {
  return describeFileError(error, { ENOENT: 'its directory does not exist (ENOENT)' });
}
