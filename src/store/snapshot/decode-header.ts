/**
 * Reading a snapshot's header back (the layout is in snapshot-format.ts): every check
 * that can be made before the sections are read, each failure a SnapshotError.
 */
import {
  align,
  FIXED_HEADER_BYTES,
  formatTraits,
  hasSnapshotMagic,
  headerChecksum,
  headerSize,
  hex,
  isSnapshotWithDamagedMagic,
  isTruncatedMagic,
  MAX_HEADER_BYTES,
  notASnapshot,
  OLDEST_READABLE_VERSION,
  SECTION_ALIGNMENT,
  SECTION_ENTRY_BYTES,
  SECTION_NAMES,
  sectionTableStart,
  SectionKind,
  SNAPSHOT_FORMAT_VERSION,
  SnapshotError,
  type SnapshotHeader,
  type SnapshotSection,
} from './snapshot-format.js';

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
    throw notASnapshot(path);
  }
  if (actualFileBytes < FIXED_HEADER_BYTES) throw refuse(truncatedAt(actualFileBytes, 'its header'));
  const formatVersion = start.readUInt32LE(8);
  if (formatVersion > SNAPSHOT_FORMAT_VERSION || formatVersion < OLDEST_READABLE_VERSION) {
    const reads = readableVersions();
    if (formatVersion > SNAPSHOT_FORMAT_VERSION) {
      throw new SnapshotError(
        path,
        `it was made by a newer kv-server: format ${formatVersion}, this one reads ${reads}`,
        'Read it with that kv-server or a later one, or build it again with this one.',
      );
    }
    throw refuse(`its format version ${formatVersion} is not one this kv-server reads (${reads})`);
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
  if (headerSize(nameLength, sectionCount) !== headerBytes) {
    throw refuse('its header disagrees with itself (name and section table do not fit its length)');
  }
  const tableStart = sectionTableStart(nameLength);
  const sections: SnapshotSection[] = [];
  const crc32 = formatTraits(formatVersion).sectionChecksum === 'crc32';
  for (let i = 0; i < sectionCount; i++) {
    const at = tableStart + i * SECTION_ENTRY_BYTES;
    sections.push({
      kind: header.readUInt32LE(at),
      offset: safeNumber(header.readBigUInt64LE(at + 8)),
      length: safeNumber(header.readBigUInt64LE(at + 16)),
      // A CRC-32 is a u32 followed by four zero bytes.
      checksum: crc32 ? BigInt(header.readUInt32LE(at + 24)) : header.readBigUInt64LE(at + 24),
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

function readableVersions(): string {
  return OLDEST_READABLE_VERSION === SNAPSHOT_FORMAT_VERSION
    ? `${SNAPSHOT_FORMAT_VERSION} only`
    : `${OLDEST_READABLE_VERSION}-${SNAPSHOT_FORMAT_VERSION}`;
}

function truncatedAt(fileBytes: number, part: string): string {
  return `it is truncated: it ends after ${fileBytes} bytes, inside ${part}`;
}

function isPowerOfTwo(n: number): boolean {
  // Not with bit operations: a hash index can have 2^32 slots.
  return n >= 2 && Number.isInteger(Math.log2(n));
}

function safeNumber(value: bigint): number {
  // Beyond 2^53 no real file is that long: the header is damaged, and the checks above say so.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
