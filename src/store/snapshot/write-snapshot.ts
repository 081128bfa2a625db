import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { CompactStore } from '../compact/compact-store.js';
import {
  encodeHeader,
  headerSize,
  layOutSections,
  SectionKind,
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

const PIECE_BYTES = 8 * 1024 * 1024;
const WRITES_IN_FLIGHT = 4;

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
  const { parts } = store.toParts();
  const bytesOf = (view: Uint8Array | Uint32Array) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const contents: Array<{ kind: SectionKind; data: Uint8Array }> = [
    { kind: SectionKind.SegmentFirstEntries, data: bytesOf(parts.segmentFirstEntry) },
    { kind: SectionKind.RecordOffsets, data: bytesOf(parts.recordOffsets) },
    { kind: SectionKind.KeyOrder, data: bytesOf(parts.order) },
    { kind: SectionKind.HashSlots, data: bytesOf(parts.hashSlots) },
    ...parts.segments.map((segment) => ({ kind: SectionKind.RecordSegment, data: bytesOf(segment) })),
  ];
  const sourceName = basename(source.path);
  const headerBytes = headerSize(Buffer.byteLength(sourceName, 'utf8'), contents.length);
  const layout = layOutSections(
    headerBytes,
    contents.map(({ kind, data }) => ({ kind, length: data.length })),
  );
  const entries = parts.recordOffsets.length;
  const fields = {
    builtAt: Date.now(),
    sourceSha256: source.sha256,
    sourceBytes: source.bytes,
    sourceName,
    lines: source.lines,
    keys: store.size,
    entries,
    duplicatesOverridden: entries - store.size,
    malformedSkipped: source.malformedSkipped,
    tagBits: parts.tagBits,
  };

  const temporary = join(dirname(outputPath), `.${basename(outputPath)}.${randomBytes(6).toString('hex')}.tmp`);
  let file;
  try {
    file = await open(temporary, 'wx', 0o644);
  } catch (error) {
    throw new SnapshotWriteError(`Cannot write snapshot "${outputPath}": ${describe(error)}.`);
  }
  const pending: Promise<unknown>[] = [];
  try {
    const sections: SnapshotSection[] = [];
    let written = headerBytes;
    for (const [i, { kind, data }] of contents.entries()) {
      const { offset } = layout.sections[i];
      let crc = 0;
      for (let at = 0; at < data.length; at += PIECE_BYTES) {
        const piece = data.subarray(at, at + PIECE_BYTES);
        crc = crc32(piece, crc);
        if (pending.length >= WRITES_IN_FLIGHT) await pending.shift();
        pending.push(writeAll(file, piece, offset + at));
        written += piece.length;
        onProgress?.({ bytes: written, totalBytes: layout.fileBytes });
      }
      sections.push({ kind, offset, length: data.length, crc32: crc });
    }
    await Promise.all(pending);
    const header = encodeHeader(fields, sections, layout.fileBytes);
    await writeAll(file, header, 0);
    // Flushed before the rename: after a crash the output is the old file or the whole new one.
    await file.sync();
    await file.close();
    file = undefined;
    await rename(temporary, outputPath);
    return {
      ...fields,
      formatVersion: header.readUInt32LE(8),
      headerBytes,
      fileBytes: layout.fileBytes,
      sections,
    };
  } catch (error) {
    await Promise.allSettled(pending);
    await file?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw new SnapshotWriteError(`Cannot write snapshot "${outputPath}": ${describe(error)}.`);
  }
}

async function writeAll(file: Awaited<ReturnType<typeof open>>, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'ENOENT':
      return 'its directory does not exist (ENOENT)';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `permission denied (${code})`;
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    case 'EISDIR':
      return 'it is a directory (EISDIR)';
    default:
      return code ? message : String(error);
  }
}
