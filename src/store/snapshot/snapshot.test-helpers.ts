import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { buildCompactStoreFromText } from '../compact/build-from-text.js';
import { writeSnapshot } from './write-snapshot.js';

/**
 * What the snapshot specs need to make and forge files. The header layout is written
 * out from docs/snapshot-format.md, not taken from the code under test.
 */
export const LAYOUT = {
  magic: 0,
  formatVersion: 8,
  headerLength: 12,
  fileLength: 16,
  keys: 80,
  entries: 88,
  duplicates: 96,
  sectionCount: 116,
  nameLength: 120,
  fixedBytes: 128,
  sectionEntryBytes: 32,
};

export interface Section {
  index: number;
  /** Where its entry sits in the section table. */
  entry: number;
  offset: number;
  length: number;
}

/** Builds a snapshot of `text` (written to DIR/source.txt) with small segments, and returns its bytes. */
export async function buildTestSnapshot(dir: string, text: string, segmentSize: number): Promise<Buffer> {
  const textPath = join(dir, 'source.txt');
  await writeFile(textPath, text);
  const { store, scan } = await buildCompactStoreFromText(textPath, { onMalformed: 'fail', segmentSize });
  const snapshotPath = join(dir, 'built.kvs');
  await writeSnapshot(snapshotPath, store, {
    sha256: scan.sha256,
    bytes: scan.bytes,
    path: textPath,
    lines: scan.lines,
    malformedSkipped: 0,
  });
  return readFile(snapshotPath);
}

export function headerLength(bytes: Buffer): number {
  return bytes.readUInt32LE(LAYOUT.headerLength);
}

/** The section table's entries, in file order. */
export function sectionsOf(bytes: Buffer): Section[] {
  const nameLength = bytes.readUInt32LE(LAYOUT.nameLength);
  const tableStart = Math.ceil((LAYOUT.fixedBytes + nameLength) / 8) * 8;
  return Array.from({ length: bytes.readUInt32LE(LAYOUT.sectionCount) }, (_, index) => {
    const entry = tableStart + index * LAYOUT.sectionEntryBytes;
    const offset = Number(bytes.readBigUInt64LE(entry + 8));
    return { index, entry, offset, length: Number(bytes.readBigUInt64LE(entry + 16)) };
  });
}

/** Recomputes the header's CRC-32 (bytes 8 to its last 4, which hold it), as a forger would. */
export function resealHeader(bytes: Buffer): Buffer {
  const end = headerLength(bytes);
  bytes.writeUInt32LE(crc32(bytes.subarray(8, end - 4)), end - 4);
  return bytes;
}
