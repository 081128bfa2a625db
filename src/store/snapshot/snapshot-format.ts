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
export const SNAPSHOT_FORMAT_VERSION = 1;
const OLDEST_READABLE_VERSION = 1;

/** Bytes of the header before the source name: see the table in docs/snapshot-format.md. */
export const FIXED_HEADER_BYTES = 128;
const SECTION_ENTRY_BYTES = 32;
/** Far more than any real header (a few hundred bytes); bounds what a damaged length field can make us read. */
export const MAX_HEADER_BYTES = 1 << 20;
/** Sections start at multiples of this, so each could be viewed in place as a typed array. */
const SECTION_ALIGNMENT = 8;

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
  crc32: number;
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

/** The size the header will have for this source name and number of sections. */
export function headerSize(sourceName: string, sectionCount: number): number {
  const tableStart = align(FIXED_HEADER_BYTES + Buffer.byteLength(sourceName, 'utf8'));
  return align(tableStart + sectionCount * SECTION_ENTRY_BYTES + 4);
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
  const size = headerSize(fields.sourceName, sections.length);
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
  let at = align(FIXED_HEADER_BYTES + name.length);
  for (const section of sections) {
    header.writeUInt32LE(section.kind, at);
    header.writeBigUInt64LE(BigInt(section.offset), at + 8);
    header.writeBigUInt64LE(BigInt(section.length), at + 16);
    header.writeUInt32LE(section.crc32, at + 24);
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

/**
 * Reads and checks the header: magic, version, its checksum, the file's length, and
 * that the sections agree with the counts (so a section's checksum is all that is left
 * to verify). `start` holds at least the first `headerBytes` of the file, or all of it.
 * Throws a DatasetLoadError naming `path` and the problem.
 */
export function decodeHeader(path: string, start: Buffer, actualFileBytes: number): SnapshotHeader {
  const refuse = (problem: string) => new SnapshotError(path, problem);
  if (actualFileBytes === 0) throw refuse('the file is empty');
  if (!hasSnapshotMagic(start)) {
    if (isTruncatedMagic(start, actualFileBytes)) throw refuse(truncatedAt(actualFileBytes, 'its magic bytes'));
    if (isSnapshotWithDamagedMagic(start)) throw refuse(`its magic bytes are damaged (${hex(start.subarray(0, 8))})`);
    throw refuse(`it does not start with the snapshot magic bytes (${hex(SNAPSHOT_MAGIC)}); it is not a snapshot`);
  }
  if (actualFileBytes < FIXED_HEADER_BYTES) throw refuse(truncatedAt(actualFileBytes, 'its header'));
  const formatVersion = start.readUInt32LE(8);
  if (formatVersion > SNAPSHOT_FORMAT_VERSION || formatVersion < OLDEST_READABLE_VERSION) {
    const reads = readableVersions();
    throw refuse(
      formatVersion > SNAPSHOT_FORMAT_VERSION
        ? `it was made by a newer kv-server: format ${formatVersion}, this one reads ${reads}`
        : `its format version ${formatVersion} is not one this kv-server reads (${reads})`,
    );
  }
  const headerBytes = start.readUInt32LE(12);
  if (headerBytes < FIXED_HEADER_BYTES || headerBytes > MAX_HEADER_BYTES || headerBytes % SECTION_ALIGNMENT !== 0) {
    throw refuse(`its header is damaged (a header length of ${headerBytes} bytes)`);
  }
  if (actualFileBytes < headerBytes) throw refuse(truncatedAt(actualFileBytes, `its ${headerBytes}-byte header`));
  if (start.length < headerBytes) throw new RangeError('decodeHeader needs the whole header');
  const header = start.subarray(0, headerBytes);
  if (header.readUInt32LE(headerBytes - 4) !== headerChecksum(header)) {
    throw refuse('its header fails its checksum (the file is damaged)');
  }

  const fileBytes = safeNumber(header.readBigUInt64LE(16));
  if (actualFileBytes < fileBytes) {
    throw refuse(`it is truncated: ${actualFileBytes} of the ${fileBytes} bytes its header announces`);
  }
  if (actualFileBytes > fileBytes) {
    throw refuse(`it is ${actualFileBytes} bytes long where its header announces ${fileBytes} (data was appended)`);
  }
  const count = (offset: number) => safeNumber(header.readBigUInt64LE(offset));
  const nameLength = header.readUInt32LE(120);
  const sectionCount = header.readUInt32LE(116);
  if (headerSizeFor(nameLength, sectionCount) !== headerBytes) {
    throw refuse('its header disagrees with itself (name and section table do not fit its length)');
  }
  const tableStart = align(FIXED_HEADER_BYTES + nameLength);
  const sections: SnapshotSection[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const at = tableStart + i * SECTION_ENTRY_BYTES;
    sections.push({
      kind: header.readUInt32LE(at),
      offset: safeNumber(header.readBigUInt64LE(at + 8)),
      length: safeNumber(header.readBigUInt64LE(at + 16)),
      crc32: header.readUInt32LE(at + 24),
    });
  }
  const decoded: SnapshotHeader = {
    formatVersion,
    headerBytes,
    fileBytes,
    builtAt: count(24),
    sourceSha256: header.toString('hex', 32, 64),
    sourceBytes: count(64),
    lines: count(72),
    keys: count(80),
    entries: count(88),
    duplicatesOverridden: count(96),
    malformedSkipped: count(104),
    tagBits: header.readUInt32LE(112),
    sourceName: header.toString('utf8', FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + nameLength),
    sections,
  };
  const disagreement = findDisagreement(decoded);
  if (disagreement) throw refuse(`its sections disagree with its header: ${disagreement}`);
  return decoded;
}

/** What is inconsistent between the counts and the section table, or undefined when nothing is. */
function findDisagreement(header: SnapshotHeader): string | undefined {
  const { sections, keys, entries } = header;
  const expectedKinds = [SectionKind.SegmentFirstEntries, SectionKind.RecordOffsets, SectionKind.KeyOrder];
  expectedKinds.push(SectionKind.HashSlots);
  if (sections.length < expectedKinds.length) return `${sections.length} sections, expected at least 4`;
  const segmentCount = sections.length - expectedKinds.length;
  let end = header.headerBytes;
  for (const [i, section] of sections.entries()) {
    const kind = expectedKinds[i] ?? SectionKind.RecordSegment;
    if (section.kind !== kind)
      return `section ${i + 1} is of kind ${section.kind}, expected ${kind} (${SECTION_NAMES[kind]})`;
    if (section.offset < end || section.offset % SECTION_ALIGNMENT !== 0 || section.offset - end >= SECTION_ALIGNMENT) {
      return `the ${SECTION_NAMES[kind]} section starts at byte ${section.offset}, expected ${align(end)}`;
    }
    end = section.offset + section.length;
  }
  if (end !== header.fileBytes) return `the sections end at byte ${end}, the file at ${header.fileBytes}`;

  const [segmentTable, offsets, order, slots] = sections;
  const idBits = Math.max(1, 32 - Math.clz32(entries));
  const slotCount = slots.length / 4;
  const checks: Array<[boolean, string]> = [
    [keys <= entries && entries < 2 ** 31, `${keys} keys in ${entries} entries`],
    [
      header.duplicatesOverridden === entries - keys,
      `${header.duplicatesOverridden} duplicates for ${entries} entries and ${keys} keys`,
    ],
    [
      segmentTable.length === 4 * segmentCount,
      `a segment table of ${segmentTable.length} bytes for ${segmentCount} segments`,
    ],
    [offsets.length === 4 * entries, `${offsets.length} bytes of record offsets for ${entries} entries`],
    [order.length === 4 * keys, `${order.length} bytes of key order for ${keys} keys`],
    [isPowerOfTwo(slotCount) && slotCount * 0.75 >= keys, `a hash index of ${slots.length} bytes for ${keys} keys`],
    [header.tagBits === 32 - idBits, `${header.tagBits} tag bits for ${entries} entries`],
    [segmentCount > 0 || entries === 0, `${entries} entries and no record segment`],
  ];
  for (const section of sections.slice(expectedKinds.length)) {
    checks.push([section.length > 0 && section.length <= 2 ** 31, `a record segment of ${section.length} bytes`]);
  }
  return checks.find(([ok]) => !ok)?.[1];
}

/** A snapshot that cannot be loaded; the message is one paragraph naming the file and the problem. */
export class SnapshotError extends DatasetLoadError {
  constructor(path: string, problem: string) {
    super(`Cannot load snapshot "${path}": ${problem}. Build it again with "kv-server build".`);
  }
}

export function describeSectionDamage(section: SnapshotSection, index: number): string {
  return `its ${SECTION_NAMES[section.kind]} section (section ${index + 1}, bytes ${section.offset} to ${
    section.offset + section.length
  }) fails its checksum (the file is damaged)`;
}

/** CRC-32 of the header from the end of the magic to its checksum field (see isSnapshotWithDamagedMagic). */
function headerChecksum(header: Buffer): number {
  return crc32(header.subarray(SNAPSHOT_MAGIC.length, header.length - 4));
}

function headerSizeFor(nameLength: number, sectionCount: number): number {
  return align(align(FIXED_HEADER_BYTES + nameLength) + sectionCount * SECTION_ENTRY_BYTES + 4);
}

function readableVersions(): string {
  return OLDEST_READABLE_VERSION === SNAPSHOT_FORMAT_VERSION
    ? `${SNAPSHOT_FORMAT_VERSION} only`
    : `${OLDEST_READABLE_VERSION}-${SNAPSHOT_FORMAT_VERSION}`;
}

function truncatedAt(fileBytes: number, part: string): string {
  return `it is truncated: it ends after ${fileBytes} bytes, inside ${part}`;
}

function align(offset: number): number {
  return Math.ceil(offset / SECTION_ALIGNMENT) * SECTION_ALIGNMENT;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 2 && Number.isInteger(n) && (n & (n - 1)) === 0;
}

function safeNumber(value: bigint): number {
  // Beyond 2^53 no real file is that long: the header is damaged, and the checks above say so.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
}
