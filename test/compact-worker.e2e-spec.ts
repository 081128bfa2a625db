/**
 * loadDatasetInWorker runs the built worker from dist/ (see compact-worker-path.ts):
 * `npm test` builds first; run `npm run build` before running this file on its own.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KeyValueStore } from '../src/store/key-value-store.js';
import { DatasetLoadError, loadDataset, type LoadOptions } from '../src/store/load-dataset.js';
import { CompactStore } from '../src/store/compact/compact-store.js';
import { loadDatasetInWorker, type LoadProgress } from '../src/store/compact/load-in-worker.js';
import { stableSummary } from '../src/store/load-dataset.test-helpers.js';

let dir: string;
let fileCounter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-compact-worker-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeData(content: string | Buffer): Promise<string> {
  const path = join(dir, `data-${++fileCounter}.txt`);
  await writeFile(path, content);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

function sortedEntries(store: KeyValueStore): Array<[string, string]> {
  return [...store.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** BOM, CRLF, tabs, duplicates, blank and malformed lines, multi-byte UTF-8, no final newline. */
const MIXED_FILE = Buffer.from(
  '\ufeffalpha 1\r\n' +
    'beta\ttwo words\n' +
    '\n' +
    'lonely\n' +
    'caf\u00e9 cr\u00e8me \u2028\n' +
    '   \n' +
    'alpha 3\n' +
    '😀 "quoted" \\ value\n' +
    ' empty-key x\n' +
    'empty \n' +
    'last ends in cr\r',
  'utf8',
);

describe('loadDatasetInWorker', () => {
  it.each([
    ['whole reads', undefined],
    ['7-byte reads (lines split across reads)', 7],
  ])('loads the same store and summary as loadDataset, with %s', async (_name, readSize) => {
    const path = await writeData(MIXED_FILE);
    const options: LoadOptions = { onMalformed: 'skip', readSize };
    const [reference, compact] = await Promise.all([loadDataset(path, options), loadDatasetInWorker(path, options)]);

    expect(compact.store).toBeInstanceOf(CompactStore);
    expect(stableSummary(compact)).toEqual(stableSummary(reference));
    expect(sortedEntries(compact.store)).toEqual(sortedEntries(reference.store));
    for (const [key] of reference.store.entries()) {
      expect(compact.store.getJsonEntry(key)).toBe(reference.store.getJsonEntry(key));
    }
    expect(compact.store.keysInOrder('', undefined, 100)).toEqual(reference.store.keysInOrder('', undefined, 100));
  });

  it('transfers a store spread over many segments', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `key-${i} value-${i % 7}`);
    const path = await writeData(lines.join('\n'));
    const reference = await loadDataset(path, { onMalformed: 'fail' });
    const compact = await loadDatasetInWorker(path, { onMalformed: 'fail', segmentSize: 256, readSize: 100 });
    expect(stableSummary(compact)).toEqual(stableSummary(reference));
    expect(sortedEntries(compact.store)).toEqual(sortedEntries(reference.store));
  });

  it('loads an empty file as zero keys', async () => {
    const { store, summary } = await loadDatasetInWorker(await writeData(''), { onMalformed: 'fail' });
    expect(store.size).toBe(0);
    expect(summary.lines).toBe(0);
  });

  it('refuses a malformed file under "fail" with the same message as loadDataset', async () => {
    const path = await writeData(MIXED_FILE);
    const expected = await rejection(loadDataset(path, { onMalformed: 'fail' }));
    const error = await rejection(loadDatasetInWorker(path, { onMalformed: 'fail' }));
    expect(error).toBeInstanceOf(DatasetLoadError);
    expect(error.message).toBe(expected.message);
    expect(error.message).toMatch(/has 2 malformed lines/);
  });

  it.each([
    ['a missing file', () => Promise.resolve(join(dir, 'missing.data'))],
    [
      'a directory',
      async () => {
        const path = join(dir, 'a-directory');
        await mkdir(path, { recursive: true });
        return path;
      },
    ],
  ])('fails for %s with the same message as loadDataset', async (_name, makePath) => {
    const path = await makePath();
    const expected = await rejection(loadDataset(path, { onMalformed: 'fail' }));
    const error = await rejection(loadDatasetInWorker(path, { onMalformed: 'fail' }));
    expect(error).toBeInstanceOf(DatasetLoadError);
    expect(error.message).toBe(expected.message);
  });

  it('reports progress: bytes read, the total, lines and time', async () => {
    const content = Array.from({ length: 500 }, (_, i) => `k${i} v${i}\n`).join('');
    const path = await writeData(content);
    const reports: LoadProgress[] = [];
    await loadDatasetInWorker(path, {
      onMalformed: 'fail',
      readSize: 512,
      progressIntervalMs: 0,
      onProgress: (progress) => reports.push(progress),
    });
    expect(reports.length).toBeGreaterThan(1);
    for (const report of reports) {
      expect(report.totalBytes).toBe(Buffer.byteLength(content));
      expect(report.bytes).toBeLessThanOrEqual(report.totalBytes);
      expect(report.elapsedMs).toBeGreaterThanOrEqual(0);
    }
    expect(reports.map((report) => report.bytes)).toEqual(
      [...reports.map((report) => report.bytes)].sort((a, b) => a - b),
    );
    expect(reports[reports.length - 1].lines).toBeGreaterThan(400);
  });

  it('rejects, and stops the worker, when the progress callback throws', async () => {
    const path = await writeData('a 1\nb 2\n');
    const error = await rejection(
      loadDatasetInWorker(path, {
        onMalformed: 'fail',
        readSize: 2,
        progressIntervalMs: 0,
        onProgress: () => {
          throw new Error('observer failed');
        },
      }),
    );
    expect(error.message).toBe('observer failed');
  });

  it('stops the worker and rejects when its signal aborts, and reports nothing after', async () => {
    const path = await writeData(Array.from({ length: 20_000 }, (_, i) => `key${i} value${i}\n`).join(''));
    const abort = new AbortController();
    let reportsAfterAbort = 0;
    const error = await rejection(
      loadDatasetInWorker(path, {
        onMalformed: 'fail',
        readSize: 64,
        progressIntervalMs: 0,
        signal: abort.signal,
        onProgress: () => {
          if (abort.signal.aborted) reportsAfterAbort++;
          abort.abort();
        },
      }),
    );
    expect(error).toBeInstanceOf(DatasetLoadError);
    expect(error.message).toBe(`The load of "${path}" was abandoned.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reportsAfterAbort).toBe(0);
  });

  it('refuses an aborted signal without loading', async () => {
    const path = await writeData('a 1\n');
    const error = await rejection(loadDatasetInWorker(path, { onMalformed: 'fail', signal: AbortSignal.abort() }));
    expect(error.message).toBe(`The load of "${path}" was abandoned.`);
  });

  it('rejects an impossible segment size before starting a worker', async () => {
    const error = await rejection(loadDatasetInWorker(join(dir, 'x'), { onMalformed: 'fail', segmentSize: 0 }));
    expect(error).toBeInstanceOf(RangeError);
  });
});

describe('loadDatasetInWorker when the worker crashes', () => {
  it.each([
    ['exits', 'process.exit(3);', /exited with code 3 before it finished/],
    ['throws', "throw new Error('boom');", /the loader thread failed: boom/],
  ])('rejects with a DatasetLoadError when the worker %s, and does not hang', async (_name, body, message) => {
    const script = join(dir, `crash-${++fileCounter}.mjs`);
    await writeFile(script, body);
    let load: typeof loadDatasetInWorker | undefined;
    jest.isolateModules(() => {
      jest.doMock('../src/store/compact/compact-worker-path.jest.cjs', () => ({
        compactLoadWorkerUrl: pathToFileURL(script),
      }));
      ({ loadDatasetInWorker: load } = jest.requireActual('../src/store/compact/load-in-worker.js'));
    });
    const error = await rejection(load!(join(dir, 'irrelevant'), { onMalformed: 'fail' }));
    // A fresh module registry has its own DatasetLoadError class: compare by name.
    expect(error.name).toBe('DatasetLoadError');
    expect(error.message).toMatch(message);
  });
});
