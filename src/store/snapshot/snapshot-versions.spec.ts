import { createXXHash64 } from 'hash-wasm';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DatasetLoadError } from '../load-dataset.js';
import { loadSnapshot } from './load-snapshot.js';
import { sectionChecksum } from './section-checksum.js';
import { buildTestSnapshot, LAYOUT, resealHeader, sectionsOf } from './snapshot.test-helpers.js';

/**
 * The section checksums as docs/snapshot-format.md defines them: XXH64 (seed 0) as a
 * u64 from format 2, CRC-32 in format 1, which this release still reads.
 */
let dir: string;
let snapshot: Buffer;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-snapshot-versions-'));
  const text = Array.from({ length: 40 }, (_, i) => `key-${i} value ${i} ü\n`).join('') + 'key-3 later\n';
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

/** The file a format 1 writer made of the same store: CRC-32s in the section table, then the header resealed. */
function asFormat1(bytes: Buffer): Buffer {
  const old = Buffer.from(bytes);
  old.writeUInt32LE(1, LAYOUT.formatVersion);
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
    const checksum = await sectionChecksum(2);
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
    const keys = [...Array.from({ length: 41 }, (_, i) => `key-${i}`), 'key-missing'];
    expect(keys.map((key) => old.store.get(key))).toEqual(keys.map((key) => current.store.get(key)));
    expect(old.store.get('key-3')).toBe('later');
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
});
