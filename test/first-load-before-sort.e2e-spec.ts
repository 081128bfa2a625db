/**
 * A first load answers look-ups once the hash index is built and listings once the
 * keys are sorted (loadDatasetInWorker's `answerBeforeSorted`, which first-load.ts
 * sets). Runs the built worker from dist/: `npm test` builds first.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import type { CompactStore } from '../src/store/compact/compact-store.js';
import { loadDatasetInWorker } from '../src/store/compact/load-in-worker.js';
import { loadDataset } from '../src/store/load-dataset.js';
import { dir, stableSummary, useDataDir, writeData } from '../src/store/load-dataset.test-helpers.js';
import { buildSnapshot } from '../src/store/snapshot/build-snapshot.js';
import { ROOT, startServer } from './support/server-process.js';

useDataDir();
let scriptCounter = 0;

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** `count` lines of distinct keys in no particular order (line i: `keys[i] value-i`), and the keys sorted by a plain model. */
function manyLines(count: number) {
  const keys = Array.from({ length: count }, (_, i) => `k${((i * 7919) % count).toString(36)}`);
  return { keys, text: keys.map((key, i) => `${key} value-${i}\n`).join(''), sorted: [...keys].sort(byUtf8) };
}

describe('a first load that answers before its keys are sorted', () => {
  it('serves what loadDataset serves: the same summary and look-ups at once, the same listings after the sort', async () => {
    const line = fc
      .tuple(
        fc.constantFrom('a', 'ab', 'é', '😀', 'shared/', 'x'.repeat(300)),
        fc.string({ unit: 'grapheme', maxLength: 4 }),
        fc.string({ unit: 'grapheme', maxLength: 12 }),
      )
      .map(([prefix, rest, value]) => `${prefix}${rest.replace(/\s/g, '')} ${value.replace(/[\r\n]/g, '')}`);
    const lines = fc.array(fc.oneof(line, fc.constantFrom('', 'malformed', '\t')), { maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(lines, async (content) => {
        const path = await writeData(content.join('\n'));
        const reference = await loadDataset(path, { onMalformed: 'skip' });
        const early = await loadDatasetInWorker(path, { onMalformed: 'skip', answerBeforeSorted: true });
        expect(stableSummary(early)).toEqual(stableSummary(reference));
        const keys = [...reference.store.entries()].map(([k]) => k).sort(byUtf8);
        for (const key of keys) expect(early.store.getJsonEntry(key)).toBe(reference.store.getJsonEntry(key));
        await early.store.keyOrderPending;
        expect(early.store.keysInOrder('', undefined, 1000)).toEqual(keys);
        early.store.release?.();
      }),
      { numRuns: 15 },
    );
  });

  it('hands over a large file before its sort ends, and stops the sort when released', async () => {
    const { text } = manyLines(200_000);
    const dataset = await loadDatasetInWorker(await writeData(text), { onMalformed: 'fail', answerBeforeSorted: true });
    expect(dataset.store.keyOrderPending).toBeDefined();
    expect(dataset.store.get('k0')).toBe('value-0');
    expect(dataset.summary.keys).toBe(200_000);
    const records = new WeakRef((dataset.store as CompactStore).toParts().parts.segments[0].buffer);
    await new Promise(setImmediate);
    dataset.store.release?.();
    // Rejected, not resolved: the sort was still running when the store was released.
    await expect(dataset.store.keyOrderPending).rejects.toThrow(/The key order of ".*" was abandoned/);
    // And nothing on this thread holds the records any more (the worker's copy goes with the worker).
    expect(records.deref()).toBeUndefined();
  });

  it('leaves nothing holding its shared records once released', async () => {
    const { text } = manyLines(1000);
    const dataset = await loadDatasetInWorker(await writeData(text), { onMalformed: 'fail', answerBeforeSorted: true });
    await dataset.store.keyOrderPending;
    const records = new WeakRef((dataset.store as CompactStore).toParts().parts.segments[0].buffer);
    // A WeakRef keeps its target alive until the end of the job that made it.
    await new Promise(setImmediate);
    dataset.store.release?.();
    await new Promise(setImmediate);
    // Collected by the collection release runs: shared memory cannot be detached, and
    // nothing else would collect it soon (bench:reload-memory measures the memory itself).
    expect(records.deref()).toBeUndefined();
  });

  it('loads a snapshot whole: it has its key order already', async () => {
    const textPath = await writeData('b 2\na 1\n');
    const snapshotPath = join(dir, 'whole.kvs');
    await buildSnapshot(textPath, snapshotPath, { onMalformed: 'fail' });
    const dataset = await loadDatasetInWorker(snapshotPath, { onMalformed: 'fail', answerBeforeSorted: true });
    expect(dataset.summary.format).toBe('snapshot');
    expect(dataset.store.keyOrderPending).toBeUndefined();
    expect(dataset.store.keysInOrder('', undefined, 10)).toEqual(['a', 'b']);
  });
});

describe('a first load whose worker fails after the hand-over', () => {
  const DIST_BUILDER = pathToFileURL(join(ROOT, 'dist/store/compact/compact-store-builder.js')).href;

  it.each([
    ['exits', 'process.exit(3);', /exited with code 3 before it finished/],
    ['throws', "throw new Error('boom');", /the loader thread failed: boom/],
    ['reports a failure', "parentPort.postMessage({ type: 'failed', message: 'no', datasetError: true });", /^no$/],
  ])('still answers look-ups, and its key order rejects, when the worker %s', async (_name, failure, message) => {
    const script = join(dir, `fails-after-hand-over-${++scriptCounter}.mjs`);
    await writeFile(
      script,
      `import { parentPort } from 'node:worker_threads';
       const { CompactStoreBuilder } = await import(${JSON.stringify(DIST_BUILDER)});
       const builder = new CompactStoreBuilder({ sharedMemory: true });
       const line = Buffer.from('key value');
       builder.add(line, 0, 3, line.length);
       const summary = { version: 'v', format: 'text', bytes: 10, lines: 1, duplicatesOverridden: 0, malformedSkipped: 0 };
       builder.finish({ onHashIndexBuilt: (parts) => {
         parentPort.postMessage({ type: 'indexed', parts, summary, malformedSamples: [] }, [parts.hashSlots.buffer]);
         ${failure}
       } });`,
    );
    let load: typeof loadDatasetInWorker | undefined;
    jest.isolateModules(() => {
      jest.doMock('../src/store/compact/compact-worker-path.jest.cjs', () => ({
        compactLoadWorkerUrl: pathToFileURL(script),
      }));
      ({ loadDatasetInWorker: load } = jest.requireActual('../src/store/compact/load-in-worker.js'));
    });
    const dataset = await load!(join(dir, 'irrelevant'), { onMalformed: 'fail', answerBeforeSorted: true });
    expect(dataset.store.get('key')).toBe('value');
    const error = await dataset.store.keyOrderPending!.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('DatasetLoadError');
    expect(error?.message).toMatch(message);
  });
});

describe('the server on a text file', () => {
  it('answers a look-up and a listing sent as soon as it listens', async () => {
    const { keys, text, sorted } = manyLines(300_000);
    const server = await startServer({ KV_DATA_FILE_PATH: await writeData(text) });
    try {
      const [listing, lookUp] = await Promise.all([
        fetch(`${server.baseUrl}/keys?limit=3`),
        fetch(`${server.baseUrl}/keys/${keys[1]}`),
      ]);
      expect(await lookUp.json()).toEqual({ [keys[1]]: 'value-1' });
      expect(listing.status).toBe(200);
      expect(((await listing.json()) as { keys: string[] }).keys).toEqual(sorted.slice(0, 3));
    } finally {
      await server.stop();
    }
  });
});
