/**
 * The snapshot file's layout: the compact store's parts written out as they sit in
 * memory, behind a header that describes and checksums them. docs/snapshot-format.md
 * is the byte-by-byte description; this file is the one place that reads and writes it.
 *
 * Everything is little-endian. Counts and offsets are 64-bit, so no size of file has a
 * ceiling here (the engine's own limits are 2^31 - 1 entries and 2 GiB per segment, of
 * which a store has as many as it needs).
 */
import { crc32 } from 'node:zlib';
import { DatasetLoadError } from '../load-dataset.js';

/** PNG's trick: a non-ASCII first byte, "KVS", then CR LF, Ctrl-Z, LF, which any text-mode mangling changes. */
export const SNAPSHOT_MAGIC = Buffer.from([0x89, 0x4b, 0x56, 0x53, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The version this release writes. It reads every version from 1 to this one. */
export const SNAPSHOT_FORMAT_VERSION: number = 2;
export const OLDEST_READABLE_VERSION: number = 1;

/** What differs between the versions this release reads (docs/snapshot-format.md, Versions). */
export interface FormatTraits {
  /** The sections' checksum (section-checksum.ts): XXH64 as a u64, or CRC-32 as a u32 in format 1. */
  sectionChecksum: 'xxh64' | 'crc32';
  /** Whether bit 31 of a record offset flags a value JSON must escape: format 1 only. */
  escapeFlags: boolean;
}

export function formatTraits(formatVersion: number): FormatTraits {
  return formatVersion === 1
    ? { sectionChecksum: 'crc32', escapeFlags: true }
    : { sectionChecksum: 'xxh64', escapeFlags: false };
}

/** Bytes of the header before the source name: see the table in docs/snapshot-format.md. */
export const FIXED_HEADER_BYTES = 128;
export const SECTION_ENTRY_BYTES = 32;
/** Far more than any real header (a few hundred bytes); bounds what a damaged length field can make us read. */
export const MAX_HEADER_BYTES = 1 << 20;
/** Sections start at multiples of this, so each could be viewed in place as a typed array. */
export const SECTION_ALIGNMENT = 8;

export enum SectionKind {
  /** u32 per record segment: the id of its first entry. */
  SegmentFirstEntries = 1,
  /** u32 per entry: where its record starts in its segment (bits 0-30) and the JSON-escape flag (bit 31). */
  RecordOffsets = 2,
  /** u32 per key: the live entries' ids in ascending key-byte order. */
  KeyOrder = 3,
  /** u32 per hash slot (a power of two): 0 or (entry id + 1) << tag bits | tag. */
  HashSlots = 4,
  /** One per segment, in order: records `key SEP value LF`. */
  RecordSegment = 5,
}

export const SECTION_NAMES: Record<SectionKind, string> = {
  [SectionKind.SegmentFirstEntries]: 'segment table',
  [SectionKind.RecordOffsets]: 'record offsets',
  [SectionKind.KeyOrder]: 'key order',
  [SectionKind.HashSlots]: 'hash index',
  [SectionKind.RecordSegment]: 'records',
};

export interface SnapshotSection {
  kind: SectionKind;
  offset: number;
  length: number;
  /** Its checksum (section-checksum.ts): XXH64, or CRC-32 in a format 1 file. */
  checksum: bigint;
}

/** What the header says. */
export interface SnapshotHeader {
  formatVersion: number;
  headerBytes: number;
  fileBytes: number;
  /** When the snapshot was built, in ms since the Unix epoch. */
  builtAt: number;
  /** SHA-256 of the text file it was built from, hex; the dataset version is its first 16 digits. */
  sourceSha256: string;
  sourceBytes: number;
  /** The text file's name when it was built (its last path component). */
  sourceName: string;
  lines: number;
  keys: number;
  /** Records, including those a later line with the same key replaced. */
  entries: number;
  duplicatesOverridden: number;
  malformedSkipped: number;
  tagBits: number;
  sections: SnapshotSection[];
}

export type SnapshotHeaderFields = Omit<SnapshotHeader, 'formatVersion' | 'headerBytes' | 'fileBytes' | 'sections'>;

/** The size of a header with a source name of `nameBytes` bytes and `sectionCount` sections. */
export function headerSize(nameBytes: number, sectionCount: number): number {
  return align(sectionTableStart(nameBytes) + sectionCount * SECTION_ENTRY_BYTES + 4);
}

/** Where the section table starts, after the source name. */
export function sectionTableStart(nameBytes: number): number {
  return align(FIXED_HEADER_BYTES + nameBytes);
}

/** Where each section goes: right after the header, each aligned. */
export function layOutSections(headerBytes: number, sections: ReadonlyArray<{ kind: SectionKind; length: number }>) {
  let offset = headerBytes;
  const placed = sections.map(({ kind, length }) => {
    offset = align(offset);
    const section = { kind, offset, length };
    offset += length;
    return section;
  });
  return { sections: placed, fileBytes: offset };
}

/** The header's bytes; `sections` carry their final offsets and checksums. */
export function encodeHeader(fields: SnapshotHeaderFields, sections: readonly SnapshotSection[], fileBytes: number) {
  const name = Buffer.from(fields.sourceName, 'utf8');
  const size = headerSize(name.length, sections.length);
  const header = Buffer.alloc(size);
  SNAPSHOT_MAGIC.copy(header, 0);
  header.writeUInt32LE(SNAPSHOT_FORMAT_VERSION, 8);
  header.writeUInt32LE(size, 12);
  header.writeBigUInt64LE(BigInt(fileBytes), 16);
  header.writeBigUInt64LE(BigInt(fields.builtAt), 24);
  header.write(fields.sourceSha256, 32, 32, 'hex');
  const counts = [
    fields.sourceBytes,
    fields.lines,
    fields.keys,
    fields.entries,
    fields.duplicatesOverridden,
    fields.malformedSkipped,
  ];
  counts.forEach((count, i) => header.writeBigUInt64LE(BigInt(count), 64 + 8 * i));
  header.writeUInt32LE(fields.tagBits, 112);
  header.writeUInt32LE(sections.length, 116);
  header.writeUInt32LE(name.length, 120);
  name.copy(header, FIXED_HEADER_BYTES);
  let at = sectionTableStart(name.length);
  for (const section of sections) {
    header.writeUInt32LE(section.kind, at);
    header.writeBigUInt64LE(BigInt(section.offset), at + 8);
    header.writeBigUInt64LE(BigInt(section.length), at + 16);
    header.writeBigUInt64LE(section.checksum, at + 24);
    at += SECTION_ENTRY_BYTES;
  }
  header.writeUInt32LE(headerChecksum(header), size - 4);
  return header;
}

/** True when `start` (the file's first bytes) begins with the snapshot magic. */
export function hasSnapshotMagic(start: Uint8Array): boolean {
  return start.length >= SNAPSHOT_MAGIC.length && SNAPSHOT_MAGIC.equals(start.subarray(0, SNAPSHOT_MAGIC.length));
}

/**
 * True when `start` is a snapshot whose magic bytes alone are damaged: the rest of its
 * header is intact and its checksum (which leaves the magic out for this reason)
 * matches. A text file passes this by chance with odds of 2^-32.
 */
export function isSnapshotWithDamagedMagic(start: Uint8Array): boolean {
  if (start.length < FIXED_HEADER_BYTES || hasSnapshotMagic(start)) return false;
  const bytes = Buffer.from(start.buffer, start.byteOffset, start.byteLength);
  const size = bytes.readUInt32LE(12);
  if (size < FIXED_HEADER_BYTES || size > bytes.length || size % SECTION_ALIGNMENT !== 0) return false;
  return bytes.readUInt32LE(size - 4) === headerChecksum(bytes.subarray(0, size));
}

/** A non-empty file shorter than the magic that starts like it: a snapshot cut off in its first bytes. */
export function isTruncatedMagic(start: Uint8Array, fileBytes: number): boolean {
  return (
    fileBytes > 0 &&
    fileBytes < SNAPSHOT_MAGIC.length &&
    SNAPSHOT_MAGIC.subarray(0, fileBytes).equals(Buffer.from(start.buffer, start.byteOffset, fileBytes))
  );
}

/** True when these first bytes of a file (of `fileBytes` bytes) are a snapshot's, intact or not. */
export function looksLikeSnapshot(start: Uint8Array, fileBytes: number): boolean {
  return hasSnapshotMagic(start) || isTruncatedMagic(start, fileBytes) || isSnapshotWithDamagedMagic(start);
}

/** A snapshot that cannot be loaded; the message is one paragraph naming the file and the problem. */
export class SnapshotError extends DatasetLoadError {
  /** `remedy`: what to do about it; a damaged file is built again. */
  constructor(path: string, problem: string, remedy = 'Build it again with "kv-server build".') {
    super(`Cannot load snapshot "${path}": ${problem}. ${remedy}`);
  }
}

/** The refusal of a file that has nothing of a snapshot (a text file, say): it was never built. */
export function notASnapshot(path: string): SnapshotError {
  return new SnapshotError(
    path,
    `it does not start with the snapshot magic bytes (${hex(SNAPSHOT_MAGIC)}); it is not a snapshot`,
    'A text data file becomes one with "kv-server build".',
  );
}

export function describeSectionDamage(section: SnapshotSection, index: number): string {
  return `its ${SECTION_NAMES[section.kind]} section (section ${index + 1}, bytes ${section.offset} to ${
    section.offset + section.length
  }) fails its checksum (the file is damaged)`;
}

/** CRC-32 of the header from the end of the magic to its checksum field (see isSnapshotWithDamagedMagic). */
export function headerChecksum(header: Buffer): number {
  return crc32(header.subarray(SNAPSHOT_MAGIC.length, header.length - 4));
}

export function align(offset: number): number {
  return Math.ceil(offset / SECTION_ALIGNMENT) * SECTION_ALIGNMENT;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
}
