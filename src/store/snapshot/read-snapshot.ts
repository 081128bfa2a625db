import type { FileHandle } from 'node:fs/promises';
import type { CompactStoreParts } from '../compact/compact-store.js';
import { decodeHeader } from './decode-header.js';
import { sectionChecksum } from './section-checksum.js';
import {
  describeSectionDamage,
  FIXED_HEADER_BYTES,
  formatTraits,
  hasSnapshotMagic,
  MAX_HEADER_BYTES,
  SnapshotError,
  type SnapshotHeader,
  type SnapshotSection,
} from './snapshot-format.js';

/** How much of a file is read to tell a snapshot from a text file (and, usually, to hold its whole header). */
export const SNIFF_BYTES = 64 * 1024;
/**
 * Reads of this size, this many at a time: the reads run in libuv's thread pool, so
 * while one piece is checksummed the next ones are being copied in, and the copying
 * (mostly the kernel faulting in fresh pages) proceeds on several cores at once.
 */
const PIECE_BYTES = 8 * 1024 * 1024;
const READS_IN_FLIGHT = 4;

export interface ReadProgress {
  bytes: number;
  totalBytes: number;
}

/** The file's first bytes: SNIFF_BYTES, or all of a shorter file. */
export async function readStart(file: FileHandle, fileBytes: number): Promise<Buffer> {
  return readExactly(file, Buffer.alloc(Math.min(fileBytes, SNIFF_BYTES)), 0);
}

/** Decodes and checks the header of an open snapshot, reading more than `start` when the header is longer. */
export async function readHeader(path: string, file: FileHandle, fileBytes: number, start: Buffer) {
  if (hasSnapshotMagic(start) && start.length >= FIXED_HEADER_BYTES) {
    const headerBytes = start.readUInt32LE(12);
    if (headerBytes > start.length && headerBytes <= MAX_HEADER_BYTES && headerBytes <= fileBytes) {
      start = await readExactly(file, Buffer.alloc(headerBytes), 0);
    }
  }
  return decodeHeader(path, start, fileBytes);
}

/**
 * Reads every section into memory of its own (each ArrayBuffer exactly a section's
 * size, so nothing is held twice) and verifies its checksum: the store's parts, ready
 * to serve.
 */
export async function readSnapshotParts(
  path: string,
  file: FileHandle,
  header: SnapshotHeader,
  onProgress?: (progress: ReadProgress) => void,
): Promise<CompactStoreParts> {
  const memory = header.sections.map((section) => new Uint8Array(new ArrayBuffer(section.length)));
  await readSections(
    path,
    file,
    header,
    (index, offsetInSection) => memory[index].subarray(offsetInSection),
    onProgress,
  );
  const words = (index: number) => new Uint32Array(memory[index].buffer);
  const parts: CompactStoreParts = {
    segmentFirstEntry: words(0),
    recordOffsets: words(1),
    order: words(2),
    hashSlots: words(3),
    tagBits: header.tagBits,
    segments: memory.slice(4),
    escapeFlags: formatTraits(header.formatVersion).escapeFlags,
  };
  checkSegments(path, header, parts);
  return parts;
}

/** Verifies every section's checksum without keeping the data: what `kv-server inspect` does. */
export async function verifySnapshot(
  path: string,
  file: FileHandle,
  header: SnapshotHeader,
  onProgress?: (progress: ReadProgress) => void,
): Promise<void> {
  // One more than the reads in flight: the next read starts while the last one is checksummed.
  const scratch = Array.from({ length: READS_IN_FLIGHT + 1 }, () => Buffer.allocUnsafe(PIECE_BYTES));
  let piece = 0;
  await readSections(path, file, header, () => scratch[piece++ % scratch.length], onProgress);
}

interface Piece {
  section: number;
  offsetInSection: number;
  length: number;
}

/**
 * Reads the sections in pieces, READS_IN_FLIGHT at a time, into the memory `target`
 * gives for each piece (at least the piece's length), and checks each section's
 * checksum once its last piece is in. Pieces are checksummed in file order.
 */
async function readSections(
  path: string,
  file: FileHandle,
  header: SnapshotHeader,
  target: (section: number, offsetInSection: number) => Uint8Array,
  onProgress?: (progress: ReadProgress) => void,
): Promise<void> {
  const pieces: Piece[] = [];
  header.sections.forEach((section, index) => {
    for (let at = 0; at < section.length || (at === 0 && section.length === 0); at += PIECE_BYTES) {
      pieces.push({ section: index, offsetInSection: at, length: Math.min(PIECE_BYTES, section.length - at) });
    }
  });
  const read = async (piece: Piece) => {
    const memory = target(piece.section, piece.offsetInSection).subarray(0, piece.length);
    await readExactly(file, memory, header.sections[piece.section].offset + piece.offsetInSection, path);
    return memory;
  };
  const checksum = await sectionChecksum(formatTraits(header.formatVersion).sectionChecksum);
  const inFlight: Promise<Uint8Array>[] = [];
  let issued = 0;
  try {
    while (issued < pieces.length && inFlight.length < READS_IN_FLIGHT) inFlight.push(read(pieces[issued++]));
    for (let done = 0; done < pieces.length; done++) {
      const memory = await inFlight.shift()!;
      if (issued < pieces.length) inFlight.push(read(pieces[issued++]));
      const piece = pieces[done];
      const section: SnapshotSection = header.sections[piece.section];
      if (piece.offsetInSection === 0) checksum.start();
      checksum.update(memory);
      const end = piece.offsetInSection + piece.length;
      if (end === section.length && checksum.finish() !== section.checksum) {
        throw new SnapshotError(path, describeSectionDamage(section, piece.section));
      }
      onProgress?.({ bytes: section.offset + end, totalBytes: header.fileBytes });
    }
  } finally {
    // Settle the reads still running before the caller closes the file.
    await Promise.allSettled(inFlight);
  }
}

/** A cheap check that the checksums cannot make: the segment table is ascending and within the entries. */
function checkSegments(path: string, header: SnapshotHeader, parts: CompactStoreParts): void {
  const firsts = parts.segmentFirstEntry;
  for (let i = 0; i < firsts.length; i++) {
    const ascending = i === 0 ? firsts[0] === 0 : firsts[i] >= firsts[i - 1];
    if (!ascending || firsts[i] > header.entries) {
      throw new SnapshotError(path, `its segment table is inconsistent at segment ${i + 1}`);
    }
  }
}

/** Reads `memory.length` bytes at `position`; a file that ends sooner is truncated. */
async function readExactly(file: FileHandle, memory: Uint8Array, position: number, path?: string) {
  let done = 0;
  while (done < memory.length) {
    const { bytesRead } = await file.read(memory, done, memory.length - done, position + done);
    if (bytesRead === 0) {
      if (path === undefined) break;
      throw new SnapshotError(path, `it is truncated: it ended at byte ${position + done} while being read`);
    }
    done += bytesRead;
  }
  return Buffer.from(memory.buffer, memory.byteOffset, done);
}
