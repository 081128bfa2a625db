/**
 * The section checksums as docs/snapshot-format.md defines them: XXH64 (seed 0) as a
 * u64 from format 2, CRC-32 in format 1, which this release still reads.
 */
import { createXXHash64 } from 'hash-wasm';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DatasetLoadError } from '../load-dataset.js';
import { loadSnapshot } from './load-snapshot.js';
import { sectionChecksum } from './section-checksum.js';
import { buildTestSnapshot, LAYOUT, resealHeader, sectionsOf } from './snapshot.test-helpers.js';

/** Values JSON must escape, which format 1 flagged in bit 31 of their record offsets. */
const ESCAPED = { quote: 'say "hi"', backslash: 'C:\\temp', tab: 'a\tb', control: 'bell \u0007' };

let dir: string;
let snapshot: Buffer;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-snapshot-versions-'));
  const text =
    Array.from({ length: 40 }, (_, i) => `key-${i} value ${i} ü\n`).join('') +
    Object.entries(ESCAPED)
      .map(([key, value]) => `${key} ${value}\n`)
      .join('') +
    'key-3 later\n';
  snapshot = await buildTestSnapshot(dir, text, 300);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Each section's table entry and bytes. */
function sections(bytes: Buffer) {
  return sectionsOf(bytes).map(({ entry, offset, length }) => ({
    entry,
    data: bytes.subarray(offset, offset + length),
  }));
}

/**
 * The file a format 1 writer made of the same store: bit 31 of a record offset set when
 * its value needs escaping in JSON, CRC-32s in the section table, the header resealed.
 */
function asFormat1(bytes: Buffer): Buffer {
  const old = Buffer.from(bytes);
  old.writeUInt32LE(1, LAYOUT.formatVersion);
  const [segmentTable, offsets, , , ...segments] = sections(old).map(({ data }) => data);
  const firstEntries = new Uint32Array(segmentTable.buffer, segmentTable.byteOffset, segmentTable.length / 4);
  for (let id = 0; id < offsets.length / 4; id++) {
    const segment = segments[firstEntries.findLastIndex((first) => first <= id)];
    const start = offsets.readUInt32LE(id * 4);
    const record = segment.subarray(start, segment.indexOf(0x0a, start)).toString();
    const value = record.slice(record.search(/[ \t]/) + 1);
    const needsEscape = [...value].some((c) => c === '"' || c === '\\' || c < ' ');
    if (needsEscape) offsets.writeUInt32LE((start | 0x80000000) >>> 0, id * 4);
  }
  for (const { entry, data } of sections(old)) {
    old.writeUInt32LE(crc32(data), entry + 24);
    old.writeUInt32LE(0, entry + 28);
  }
  return resealHeader(old);
}

async function file(bytes: Buffer): Promise<string> {
  const path = join(dir, `snapshot-${++counter}.kvs`);
  await writeFile(path, bytes);
  return path;
}

describe('snapshot format versions', () => {
  it('computes XXH64 as its published test vectors give it', async () => {
    const checksum = await sectionChecksum('xxh64');
    const of = (text: string) => {
      checksum.start();
      checksum.update(Buffer.from(text));
      return checksum.finish().toString(16).padStart(16, '0');
    };
    expect(of('')).toBe('ef46db3751d8e999');
    expect(of('abc')).toBe('44bc2cf5ad770999');
  });

  it('writes format 2, each section table entry holding the XXH64 of its section as a u64', async () => {
    expect(snapshot.readUInt32LE(LAYOUT.formatVersion)).toBe(2);
    const hasher = await createXXHash64();
    const found = sections(snapshot);
    expect(found.length).toBeGreaterThan(5);
    for (const { entry, data } of found) {
      hasher.init();
      hasher.update(data);
      expect(
        snapshot
          .readBigUInt64LE(entry + 24)
          .toString(16)
          .padStart(16, '0'),
      ).toBe(hasher.digest('hex'));
    }
  });

  it('still loads a format 1 file, with the same answers', async () => {
    const current = await loadSnapshot(await file(snapshot));
    const old = await loadSnapshot(await file(asFormat1(snapshot)));
    const keys = [...Array.from({ length: 41 }, (_, i) => `key-${i}`), ...Object.keys(ESCAPED), 'key-missing'];
    expect(keys.map((key) => old.store.get(key))).toEqual(keys.map((key) => current.store.get(key)));
    expect(old.store.get('key-3')).toBe('later');
    expect(old.store.get('tab')).toBe('a\tb');
    expect(old.summary.version).toBe(current.summary.version);
    expect(old.store.keysInOrder('', undefined, 100)).toEqual(current.store.keysInOrder('', undefined, 100));
  });

  it('refuses a format 1 file with a flipped byte, by its CRC-32', async () => {
    const old = asFormat1(snapshot);
    const records = sections(old).at(-1)!;
    records.data[0] ^= 0x04;
    const error = await loadSnapshot(await file(old)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetLoadError);
    expect((error as Error).message).toMatch(
      /its records section \(section \d+, bytes \d+ to \d+\) fails its checksum/,
    );
  });

  it('serves each JSON body as JSON.stringify does, from format 2 (no flags) and from format 1 (flags)', async () => {
    const flagged = asFormat1(snapshot);
    const offsets = sections(flagged)[1].data;
    const flags = Array.from({ length: offsets.length / 4 }, (_, id) => offsets.readUInt32LE(id * 4) >>> 31);
    expect(flags.filter(Boolean)).toHaveLength(Object.keys(ESCAPED).length);
    for (const bytes of [snapshot, flagged]) {
      const { store } = await loadSnapshot(await file(bytes));
      for (const [key, value] of [...Object.entries(ESCAPED), ['key-7', 'value 7 ü']]) {
        expect(store.getJsonEntry(key)).toBe(JSON.stringify({ [key]: value }));
      }
    }
  });
});
