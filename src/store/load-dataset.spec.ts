import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, constants, openSync, truncateSync, writeSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyValueStore, StoreBuilder } from './key-value-store.js';
import { MALFORMED_REASON_TEXT } from './line-parser.js';
import { DatasetLoadError, loadDataset, scanDataFile, type Dataset } from './load-dataset.js';
import { MapStoreBuilder } from './map-store.js';

let dir: string;
let fileCounter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-load-dataset-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeData(content: string | Buffer, name = `data-${++fileCounter}.txt`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

function sortedEntries(store: KeyValueStore): Array<[string, string]> {
  return [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Resolves to the error `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<DatasetLoadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetLoadError);
  return error as DatasetLoadError;
}

/** The summary fields that depend only on the file. */
function withoutTimes(summary: Dataset['summary']): Partial<Dataset['summary']> {
  const copy: Partial<Dataset['summary']> = { ...summary };
  delete copy.loadedAt;
  delete copy.loadDurationMs;
  return copy;
}

const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** 12 malformed lines, on the odd line numbers 1..23, with valid lines between them. */
const TWELVE_MALFORMED: Array<{ line: number; text: string; reason: keyof typeof MALFORMED_REASON_TEXT }> = [
  { line: 1, text: 'lonely', reason: 'no-separator' },
  { line: 3, text: ' empty key', reason: 'empty-key' },
  { line: 5, text: 'a\u00a0b c', reason: 'whitespace-in-key' },
  { line: 7, text: 'bad\udc80 x', reason: 'invalid-utf8' },
  { line: 9, text: 'alone', reason: 'no-separator' },
  { line: 11, text: '\tx y', reason: 'empty-key' },
  { line: 13, text: 'a\rb c', reason: 'whitespace-in-key' },
  { line: 15, text: 'c\u3000d e', reason: 'whitespace-in-key' },
  { line: 17, text: 'solo', reason: 'no-separator' },
  { line: 19, text: ' z', reason: 'empty-key' },
  { line: 21, text: 'eleventh', reason: 'no-separator' },
  { line: 23, text: '\ttwelfth', reason: 'empty-key' },
];

function twelveMalformedFile(): Buffer {
  const lines: Buffer[] = [];
  TWELVE_MALFORMED.forEach(({ text }, index) => {
    // Line 7 holds a lone continuation byte, which a JS string cannot carry.
    lines.push(text.includes('\udc80') ? Buffer.from([0x62, 0x61, 0x64, 0x80, 0x20, 0x78]) : Buffer.from(text));
    lines.push(Buffer.from(`good${index} ${index}`));
  });
  return Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')]));
}

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

describe('loadDataset: malformed lines', () => {
  let path: string;

  beforeAll(async () => {
    path = await writeData(twelveMalformedFile());
  });

  it('refuses the file with the fail policy, naming the path, the first 10 lines and the total', async () => {
    const error = await rejection(loadDataset(path, { onMalformed: 'fail' }));
    expect(error.name).toBe('DatasetLoadError');
    const { message } = error;
    expect(message).toContain(path);
    for (const { line, reason } of TWELVE_MALFORMED.slice(0, 10)) {
      expect(message).toContain(`line ${line}: ${MALFORMED_REASON_TEXT[reason]}`);
    }
    const withoutPath = message.split(path).join('<path>');
    // The 11th and 12th (lines 21 and 23) are counted but not listed.
    expect(withoutPath).not.toMatch(/\b21\b/);
    expect(withoutPath).not.toMatch(/\b23\b/);
    expect(withoutPath).toMatch(/\b12\b/);
    expect(message).not.toContain('\n');
  });

  it('refuses the file with the fail policy at a small read size too', async () => {
    await rejection(loadDataset(path, { onMalformed: 'fail', readSize: 3 }));
  });

  it('names a single malformed line and its reason', async () => {
    const single = await writeData('a 1\n\nb\u2028c d\n');
    const { message } = await rejection(loadDataset(single, { onMalformed: 'fail' }));
    expect(message).toContain(single);
    expect(message).toContain(`line 3: ${MALFORMED_REASON_TEXT['whitespace-in-key']}`);
    expect(message.split(single).join('<path>')).toMatch(/\b1\b/);
  });

  it('loads the rest with the skip policy, counting and sampling the malformed lines', async () => {
    const dataset = await loadDataset(path, { onMalformed: 'skip' });
    expect(dataset.summary.malformedSkipped).toBe(12);
    expect(dataset.summary.keys).toBe(12);
    expect(dataset.summary.lines).toBe(24);
    expect(dataset.malformedSamples).toEqual(
      TWELVE_MALFORMED.slice(0, 10).map(({ line, reason }) => ({ line, reason })),
    );
    expect(dataset.store.get('good0')).toBe('0');
    expect(dataset.store.get('good11')).toBe('11');
    expect(dataset.store.get('lonely')).toBeUndefined();
    expect(dataset.store.get('a\rb')).toBeUndefined();
  });

  it('samples every malformed line when there are fewer than 10', async () => {
    const dataset = await loadDataset(await writeData('lonely\nk v\n\tx\n'), { onMalformed: 'skip' });
    expect(dataset.summary.malformedSkipped).toBe(2);
    expect(dataset.malformedSamples).toEqual([
      { line: 1, reason: 'no-separator' },
      { line: 3, reason: 'empty-key' },
    ]);
    expect(sortedEntries(dataset.store)).toEqual([['k', 'v']]);
  });
});

describe('loadDataset: files that cannot be loaded', () => {
  it('refuses a missing file', async () => {
    const path = join(dir, 'does-not-exist.txt');
    const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
    expect(message).toContain(path);
    expect(message).toMatch(/no such file|ENOENT/i);
  });

  it('refuses a path through a missing directory', async () => {
    const path = join(dir, 'no-dir', 'data.txt');
    const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
    expect(message).toContain(path);
  });

  it('refuses a dangling symbolic link', async () => {
    const path = join(dir, 'dangling-link');
    await symlink(join(dir, 'nowhere.txt'), path);
    const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
    expect(message).toContain(path);
  });

  it('follows a symbolic link to a regular file', async () => {
    const target = await writeData('k v\n');
    const link = join(dir, 'good-link');
    await symlink(target, link);
    const dataset = await loadDataset(link, { onMalformed: 'fail' });
    expect(dataset.store.get('k')).toBe('v');
  });

  it('refuses a directory', async () => {
    const path = join(dir, 'a-directory');
    await mkdir(path);
    const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
    expect(message).toContain(path);
    expect(message).toMatch(/directory/i);
  });

  it('refuses a FIFO without blocking on it', async () => {
    const path = join(dir, 'a-fifo');
    execFileSync('mkfifo', [path]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Unblock a reader stuck in open() so that the failure is reported instead of hanging Jest.
        try {
          closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // no reader: nothing to unblock
        }
        reject(new Error('loadDataset blocked on a FIFO'));
      }, 2000);
    });
    try {
      const { message } = await rejection(Promise.race([loadDataset(path, { onMalformed: 'skip' }), timeout]));
      expect(message).toContain(path);
      expect(message).toMatch(/regular file|fifo|pipe/i);
    } finally {
      clearTimeout(timer);
    }
  });

  // root can read a file whatever its mode, so this case can only be tested as another user.
  if (process.getuid?.() !== 0) {
    it('refuses an unreadable file', async () => {
      const path = await writeData('k v\n');
      await chmod(path, 0o000);
      const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
      expect(message).toContain(path);
      expect(message).toMatch(/permission denied|EACCES/i);
    });
  }
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

describe('scanDataFile: a file written to while it is read', () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `key-${i} value ${i}\n`).join('');

  it('is refused when it grows, naming the sizes and how to publish', async () => {
    const path = await writeData(lines);
    let appended = false;
    const scan = scanDataFile(path, {
      onMalformed: 'fail',
      readSize: 1024,
      onEntry: () => undefined,
      onChunk: () => {
        if (!appended) appendFileSync(path, 'late 1\n');
        appended = true;
      },
    });
    const { message } = await rejection(scan);
    expect(message).toContain(path);
    expect(message).toContain(`changed while it was being read (${Buffer.byteLength(lines)} bytes when opened, `);
    expect(message).toMatch(/renaming it over it/);
  });

  it('is refused when it shrinks', async () => {
    const path = await writeData(lines);
    let truncated = false;
    const scan = scanDataFile(path, {
      onMalformed: 'fail',
      readSize: 1024,
      onEntry: () => undefined,
      onChunk: () => {
        if (!truncated) truncateSync(path, 100);
        truncated = true;
      },
    });
    expect((await rejection(scan)).message).toMatch(/changed while it was being read/);
  });

  it('is refused when it is rewritten in place to the same length', async () => {
    const path = await writeData(lines);
    // File times are coarse (a few ms): the rewrite must fall in a later tick than the write.
    await new Promise((resolve) => setTimeout(resolve, 30));
    let rewritten = false;
    const scan = scanDataFile(path, {
      onMalformed: 'fail',
      readSize: 1024,
      onEntry: () => undefined,
      onChunk: () => {
        if (rewritten) return;
        rewritten = true;
        const fd = openSync(path, 'r+');
        writeSync(fd, 'kex-0');
        closeSync(fd);
      },
    });
    expect((await rejection(scan)).message).toMatch(/changed while it was being read \(modified during the read\)/);
  });
});
