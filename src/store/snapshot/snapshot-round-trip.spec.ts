import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCompactStoreFromText } from '../compact/build-from-text.js';
import type { KeyValueStore } from '../key-value-store.js';
import { isPossibleKey } from '../line-parser.js';
import { loadSnapshot } from './load-snapshot.js';
import { loadDataset, type MalformedPolicy } from '../load-dataset.js';
import { writeSnapshot } from './write-snapshot.js';

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-snapshot-round-trip-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface BuildOptions {
  onMalformed?: MalformedPolicy;
  readSize?: number;
  segmentSize?: number;
}

/** Writes `text` to a file, builds its snapshot beside it, and returns both paths. */
async function textAndSnapshot(text: string | Buffer, options: BuildOptions = {}) {
  const textPath = join(dir, `data-${++counter}.txt`);
  const snapshotPath = join(dir, `data-${counter}.kvs`);
  await writeFile(textPath, text);
  const onMalformed = options.onMalformed ?? 'skip';
  const { store, scan } = await buildCompactStoreFromText(textPath, { ...options, onMalformed });
  await writeSnapshot(snapshotPath, store, {
    sha256: scan.sha256,
    bytes: scan.bytes,
    path: textPath,
    lines: scan.lines,
    malformedSkipped: scan.malformedCount,
  });
  return { textPath, snapshotPath };
}

/** Every look-up the HTTP layer makes, as comparable values (bytes as hex). */
function lookups(store: KeyValueStore, keys: readonly string[]) {
  const hex = (bytes: Buffer | undefined) => bytes?.toString('hex');
  return keys.map((key) => [key, store.get(key), hex(store.getBytes(key)), store.getJsonEntry(key)]);
}

/** Listings: everything, one page at a time, and by the prefixes and cursors the keys suggest. */
function listings(store: KeyValueStore, keys: readonly string[]) {
  const result: string[][] = [store.keysInOrder('', undefined, 1_000_000)];
  for (const key of keys.slice(0, 8)) {
    const prefix = [...key].slice(0, 1).join('');
    result.push(
      store.keysInOrder(prefix, undefined, 3),
      store.keysInOrder('', key, 2),
      store.keysInOrder(prefix, key, 5),
    );
  }
  return result;
}

function expectSameAnswers(fromSnapshot: KeyValueStore, fromText: KeyValueStore, probes: readonly string[]) {
  const keys = [...fromText.entries()].map(([key]) => key);
  expect(fromSnapshot.size).toBe(fromText.size);
  expect(lookups(fromSnapshot, [...keys, ...probes])).toEqual(lookups(fromText, [...keys, ...probes]));
  expect(listings(fromSnapshot, keys)).toEqual(listings(fromText, keys));
  expect([...fromSnapshot.entries()].sort()).toEqual([...fromText.entries()].sort());
}

/** Keys: short Unicode ones (astral characters, NUL, U+FFFF), some sharing long prefixes, some up to 4 KiB. */
const key = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter(isPossibleKey) },
  { weight: 2, arbitrary: fc.constantFrom('a', 'é', '😀', '\u0000', '\uffff', 'shared/prefix/a', 'shared/prefix/b') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4096 }).map((n) => 'k'.repeat(n)) },
);
/** Values: anything but a line feed, including empty, escapes, CR, tabs, and now and then up to 1 MiB. */
const value = fc.oneof(
  { weight: 16, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map((v) => v.replace(/\n/g, '')) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '"quoted"', 'back\\slash', 'ctrl\u0001', 'cr\rinside', '\t ') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 << 20 }).map((n) => '€'.repeat(Math.floor(n / 3)) + 'x') },
);
/** A file of lines drawn from a small pool of keys, so that duplicates are common. */
const dataFile = fc
  .array(key, { minLength: 1, maxLength: 12 })
  .chain((pool) =>
    fc.array(fc.tuple(fc.constantFrom(...pool), fc.constantFrom(' ', '\t'), value, fc.constantFrom('\n', '\r\n')), {
      maxLength: 40,
    }),
  )
  .map((lines) => lines.map((parts) => parts.join('')).join(''));

describe('a snapshot against its text file (property)', () => {
  it('answers every look-up and listing exactly as the store built from the text', async () => {
    await fc.assert(
      fc.asyncProperty(
        dataFile,
        fc.array(key, { maxLength: 4 }),
        fc.constantFrom(undefined, 7, 1000, 65_536),
        fc.constantFrom(undefined, 64, 100_000),
        async (text, probes, readSize, segmentSize) => {
          const { textPath, snapshotPath } = await textAndSnapshot(text, { readSize, segmentSize });
          const fromText = await loadDataset(textPath, { onMalformed: 'skip' });
          const fromSnapshot = await loadSnapshot(snapshotPath);
          expectSameAnswers(fromSnapshot.store, fromText.store, probes);
          const { version, keys, lines, duplicatesOverridden, malformedSkipped } = fromText.summary;
          expect(fromSnapshot.summary).toMatchObject({ version, keys, lines, duplicatesOverridden, malformedSkipped });
          await Promise.all([rm(textPath), rm(snapshotPath)]);
        },
      ),
      { numRuns: 50 },
    );
  }, 120_000);
});

describe('a snapshot', () => {
  it('keeps the dataset version of its text file: the first 16 hex digits of its SHA-256', async () => {
    const text = Buffer.from('\ufeffalpha 1\r\nbeta\ttwo words\nlonely\ncafé crème\nalpha 3\n', 'utf8');
    const { snapshotPath } = await textAndSnapshot(text);
    const { summary } = await loadSnapshot(snapshotPath);
    expect(summary.version).toBe(createHash('sha256').update(text).digest('hex').slice(0, 16));
    expect(summary).toMatchObject({
      format: 'snapshot',
      source: snapshotPath,
      bytes: (await stat(snapshotPath)).size,
      keys: 3,
      lines: 5,
      duplicatesOverridden: 1,
      malformedSkipped: 1,
    });
  });

  it('is recognised by its magic bytes whatever its name, and a text file whatever its name', async () => {
    const { snapshotPath } = await textAndSnapshot('k v\n');
    const misnamedSnapshot = join(dir, 'looks-like-text.data');
    const misnamedText = join(dir, 'looks-like-a-snapshot.kvs');
    await writeFile(misnamedSnapshot, await readFile(snapshotPath));
    await writeFile(misnamedText, 'k v\n');
    expect((await loadSnapshot(misnamedSnapshot)).summary.format).toBe('snapshot');
    expect((await loadDataset(misnamedText, { onMalformed: 'fail' })).summary.format).toBe('text');
    expect((await loadSnapshot(misnamedSnapshot)).store.get('k')).toBe('v');
  });

  it('of an empty text file holds zero keys', async () => {
    const { snapshotPath } = await textAndSnapshot('');
    const { store, summary } = await loadSnapshot(snapshotPath);
    expect(store.size).toBe(0);
    expect(store.get('anything')).toBeUndefined();
    expect(store.keysInOrder('', undefined, 10)).toEqual([]);
    expect(summary).toMatchObject({ format: 'snapshot', keys: 0, lines: 0 });
  });

  it('is written atomically: a failed write leaves neither the output nor a temporary file', async () => {
    const { store, scan } = await buildCompactStoreFromText((await textAndSnapshot('a 1\n')).textPath, {
      onMalformed: 'fail',
    });
    const missingDir = join(dir, 'no-such-dir', 'out.kvs');
    const source = { sha256: scan.sha256, bytes: scan.bytes, path: 'a.txt', lines: 1, malformedSkipped: 0 };
    await expect(writeSnapshot(missingDir, store, source)).rejects.toThrow(
      `Cannot write snapshot "${missingDir}": its directory does not exist (ENOENT).`,
    );
    const intoDirectory = join(dir, 'a-directory');
    await mkdir(intoDirectory);
    const before = (await readdir(dir)).sort();
    await expect(writeSnapshot(intoDirectory, store, source)).rejects.toThrow(
      `Cannot write snapshot "${intoDirectory}": it is a directory; name a file in it.`,
    );
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('fails as a write does when its progress callback throws, leaving nothing behind', async () => {
    const { store, scan } = await buildCompactStoreFromText((await textAndSnapshot('a 1\nb 2\n')).textPath, {
      onMalformed: 'fail',
    });
    const outputDir = join(dir, 'progress-fails');
    await mkdir(outputDir);
    const source = { sha256: scan.sha256, bytes: scan.bytes, path: 'a.txt', lines: 2, malformedSkipped: 0 };
    const output = join(outputDir, 'out.kvs');
    await expect(
      writeSnapshot(output, store, source, () => {
        throw new Error('progress sink failed');
      }),
    ).rejects.toThrow(`Cannot write snapshot "${output}": progress sink failed.`);
    expect(await readdir(outputDir)).toEqual([]);
  });
});
