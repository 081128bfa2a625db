import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreBuilder } from './key-value-store.js';
import { loadDataset, type Dataset } from './load-dataset.js';
import { dir, sortedEntries, useDataDir, writeData } from './load-dataset.test-helpers.js';
import { MapStoreBuilder } from './map-store.js';

/**
 * loadDataset on files it loads: the store and the summary, the version, the read size,
 * empty files and the store engine. Malformed lines: load-dataset-malformed.spec.ts;
 * files it refuses (missing, not regular, changed while read): load-dataset-file-errors.spec.ts.
 */

useDataDir();

/** The summary fields that depend only on the file. */
function withoutTimes(summary: Dataset['summary']): Partial<Dataset['summary']> {
  const copy: Partial<Dataset['summary']> = { ...summary };
  delete copy.loadedAt;
  delete copy.loadDurationMs;
  return copy;
}

const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('loadDataset: a well-formed file', () => {
  const content = 'a 1\nb two words\r\n\n日本 語\na 3\nempty \n';
  let path: string;
  let dataset: Dataset;
  let before: number;
  let after: number;

  beforeAll(async () => {
    path = await writeData(content);
    before = Date.now();
    dataset = await loadDataset(path, { onMalformed: 'fail' });
    after = Date.now();
  });

  it('loads every entry, the later duplicate winning', () => {
    expect(sortedEntries(dataset.store)).toEqual([
      ['a', '3'],
      ['b', 'two words'],
      ['empty', ''],
      ['日本', '語'],
    ]);
    expect(dataset.store.get('missing')).toBeUndefined();
  });

  it('fills in the summary', () => {
    const { summary } = dataset;
    expect(summary).toEqual({
      version: expect.any(String),
      source: path,
      format: 'text',
      keys: 4,
      bytes: Buffer.byteLength(content),
      lines: 6,
      duplicatesOverridden: 1,
      malformedSkipped: 0,
      loadedAt: expect.any(String),
      loadDurationMs: expect.any(Number),
    });
    expect(dataset.malformedSamples).toEqual([]);
  });

  it('reports bytes equal to the size of the file on disk', async () => {
    expect(dataset.summary.bytes).toBe((await stat(path)).size);
  });

  it('gives loadedAt as an RFC 3339 time within the load', () => {
    expect(dataset.summary.loadedAt).toMatch(RFC_3339);
    const loadedAt = Date.parse(dataset.summary.loadedAt);
    expect(loadedAt).toBeGreaterThanOrEqual(before - 1);
    expect(loadedAt).toBeLessThanOrEqual(after + 1);
  });

  it('gives a non-negative whole load duration', () => {
    expect(Number.isInteger(dataset.summary.loadDurationMs)).toBe(true);
    expect(dataset.summary.loadDurationMs).toBeGreaterThanOrEqual(0);
    expect(dataset.summary.loadDurationMs).toBeLessThanOrEqual(after - before + 1);
  });

  it('gives a version of 16 lowercase hex digits', () => {
    expect(dataset.summary.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('leaves the data file untouched', async () => {
    expect(await readFile(path, 'utf8')).toBe(content);
  });
});

describe('loadDataset: version', () => {
  it('is equal for two files with the same content at different paths', async () => {
    const content = 'k v\nx y\n';
    const one = await loadDataset(await writeData(content), { onMalformed: 'fail' });
    await mkdir(join(dir, 'elsewhere'), { recursive: true });
    const two = await loadDataset(await writeData(content, 'elsewhere/other-name.txt'), { onMalformed: 'fail' });
    expect(one.summary.source).not.toBe(two.summary.source);
    expect(one.summary.version).toBe(two.summary.version);
  });

  it('differs for a one-byte difference in content', async () => {
    const one = await loadDataset(await writeData('k v\n'), { onMalformed: 'fail' });
    const two = await loadDataset(await writeData('k w\n'), { onMalformed: 'fail' });
    expect(one.summary.version).not.toBe(two.summary.version);
  });

  it('differs for files that give the same store but differ in bytes (CRLF vs LF)', async () => {
    const lf = await loadDataset(await writeData('k v\n'), { onMalformed: 'fail' });
    const crlf = await loadDataset(await writeData('k v\r\n'), { onMalformed: 'fail' });
    expect(sortedEntries(lf.store)).toEqual(sortedEntries(crlf.store));
    expect(lf.summary.version).not.toBe(crlf.summary.version);
  });

  it('does not depend on the read size', async () => {
    const path = await writeData('a 1\nb 2\nc 3\n'.repeat(50));
    const big = await loadDataset(path, { onMalformed: 'fail' });
    const small = await loadDataset(path, { onMalformed: 'fail', readSize: 5 });
    expect(small.summary.version).toBe(big.summary.version);
  });

  it('is derived from the whole content, not only its start', async () => {
    const prefix = 'k v\n'.repeat(1000);
    const one = await loadDataset(await writeData(`${prefix}end 1\n`), { onMalformed: 'fail', readSize: 64 });
    const two = await loadDataset(await writeData(`${prefix}end 2\n`), { onMalformed: 'fail', readSize: 64 });
    expect(one.summary.version).not.toBe(two.summary.version);
  });

  it('is a prefix of the SHA-256 of the file', async () => {
    const content = 'hash me\n';
    const dataset = await loadDataset(await writeData(content), { onMalformed: 'fail' });
    expect(createHash('sha256').update(content).digest('hex').startsWith(dataset.summary.version)).toBe(true);
  });
});

describe('loadDataset: read size', () => {
  it.each([1, 2, 5, 7])('gives the same store and summary with readSize %i as with the default', async (readSize) => {
    const content = Buffer.concat([
      Buffer.from('\uFEFFé 1\r\n\n日本 語 \t\r\n😀 €\r\r\nlonely\n k\n'),
      Buffer.from([0xe2, 0x82]),
      Buffer.from(' bad\na 1\na 2\nlast v\r'),
    ]);
    const path = await writeData(content);
    const byDefault = await loadDataset(path, { onMalformed: 'skip' });
    const small = await loadDataset(path, { onMalformed: 'skip', readSize });
    expect(sortedEntries(small.store)).toEqual(sortedEntries(byDefault.store));
    expect(sortedEntries(byDefault.store)).toEqual([
      ['a', '2'],
      ['last', 'v\r'],
      ['é', '1'],
      ['日本', '語 \t'],
      ['😀', '€\r'],
    ]);
    const smallSummary = withoutTimes(small.summary);
    const defaultSummary = withoutTimes(byDefault.summary);
    expect(smallSummary).toEqual(defaultSummary);
    expect(defaultSummary).toMatchObject({ keys: 5, bytes: content.length, lines: 10, duplicatesOverridden: 1 });
    expect(small.malformedSamples).toEqual(byDefault.malformedSamples);
    expect(byDefault.malformedSamples).toEqual([
      { line: 5, reason: 'no-separator' },
      { line: 6, reason: 'empty-key' },
      { line: 7, reason: 'invalid-utf8' },
    ]);
  });

  it('handles a file larger than one read of the default size', async () => {
    const lines = Array.from({ length: 70000 }, (_, i) => `key${i} value ${i}\n`).join('');
    expect(Buffer.byteLength(lines)).toBeGreaterThan(1 << 20);
    const dataset = await loadDataset(await writeData(lines), { onMalformed: 'fail' });
    expect(dataset.summary.keys).toBe(70000);
    expect(dataset.store.get('key0')).toBe('value 0');
    expect(dataset.store.get('key69999')).toBe('value 69999');
    expect(dataset.summary.bytes).toBe(Buffer.byteLength(lines));
  });
});

describe('loadDataset: empty files', () => {
  it('loads an empty file as a valid dataset of zero keys', async () => {
    const dataset = await loadDataset(await writeData(''), { onMalformed: 'fail' });
    expect(dataset.store.size).toBe(0);
    expect([...dataset.store.entries()]).toEqual([]);
    expect(dataset.summary).toMatchObject({
      keys: 0,
      bytes: 0,
      lines: 0,
      duplicatesOverridden: 0,
      malformedSkipped: 0,
    });
    expect(dataset.summary.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('loads a file holding only a BOM as zero keys', async () => {
    const dataset = await loadDataset(await writeData(Buffer.from([0xef, 0xbb, 0xbf])), { onMalformed: 'fail' });
    expect(dataset.store.size).toBe(0);
    expect(dataset.summary).toMatchObject({ keys: 0, bytes: 3, malformedSkipped: 0, duplicatesOverridden: 0 });
  });

  it('loads a file of only blank lines as zero keys, counting the lines', async () => {
    const dataset = await loadDataset(await writeData('\n \n\t\r\n'), { onMalformed: 'fail' });
    expect(dataset.store.size).toBe(0);
    expect(dataset.summary).toMatchObject({ keys: 0, lines: 3, malformedSkipped: 0 });
  });

  it('ignores the BOM of a file that has entries', async () => {
    const dataset = await loadDataset(await writeData('\uFEFFk v\r\n'), { onMalformed: 'fail' });
    expect(sortedEntries(dataset.store)).toEqual([['k', 'v']]);
  });
});

describe('loadDataset: store engine', () => {
  it('fills the builder from createBuilder and reports its duplicate count', async () => {
    const added: string[] = [];
    const inner = new MapStoreBuilder();
    const builder: StoreBuilder = {
      add(bytes, keyStart, keyEnd, valueEnd) {
        added.push(bytes.toString('utf8', keyStart, valueEnd));
        inner.add(bytes, keyStart, keyEnd, valueEnd);
      },
      get duplicates() {
        return 42;
      },
      finish: () => inner.finish(),
    };
    const dataset = await loadDataset(await writeData('a 1\nb 2\na 3\n'), {
      onMalformed: 'fail',
      createBuilder: () => builder,
    });
    expect(added).toEqual(['a 1', 'b 2', 'a 3']);
    expect(dataset.summary.duplicatesOverridden).toBe(42);
    expect(dataset.summary.keys).toBe(2);
    expect(dataset.store.get('a')).toBe('3');
  });
});
