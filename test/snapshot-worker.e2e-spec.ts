/**
 * loadDatasetInWorker, the server's one loader, on snapshots: it runs the built worker
 * from dist/ (`npm test` builds first; run `npm run build` before this file alone).
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDatasetInWorker } from '../src/store/compact/load-in-worker.js';
import { buildCompactStoreFromText } from '../src/store/compact/build-from-text.js';
import { DatasetLoadError, loadDataset } from '../src/store/load-dataset.js';
import { loadSnapshot } from '../src/store/snapshot/load-snapshot.js';
import { writeSnapshot } from '../src/store/snapshot/write-snapshot.js';

let dir: string;
let text: string;
let snapshot: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-snapshot-worker-'));
  text = join(dir, 'source.kvs'); // a text file with a snapshot's name
  snapshot = join(dir, 'snapshot.data'); // a snapshot with a text file's name
  await writeFile(text, '\ufeffalpha 1\r\nbeta\ttwo words\nlonely\ncafé "crème"\nalpha 3\n😀 \n');
  const { store, scan } = await buildCompactStoreFromText(text, { onMalformed: 'skip' });
  const { sha256, bytes, lines, malformedCount } = scan;
  await writeSnapshot(snapshot, store, { sha256, bytes, path: text, lines, malformedSkipped: malformedCount });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function withoutTimes<T extends { loadedAt: string; loadDurationMs: number }>({
  loadedAt,
  loadDurationMs,
  ...rest
}: T) {
  expect(loadDurationMs).toBeGreaterThanOrEqual(0);
  expect(new Date(loadedAt).toISOString()).toBe(loadedAt);
  return rest;
}

describe('loadDatasetInWorker on a snapshot', () => {
  it('tells the formats apart by their bytes, not their names', async () => {
    const [fromText, fromSnapshot] = await Promise.all([
      loadDatasetInWorker(text, { onMalformed: 'skip' }),
      loadDatasetInWorker(snapshot, { onMalformed: 'fail' }),
    ]);
    expect(fromText.summary.format).toBe('text');
    expect(fromSnapshot.summary.format).toBe('snapshot');
    expect(fromSnapshot.summary.version).toBe(fromText.summary.version);
    const keys = [...fromText.store.entries()].map(([key]) => key);
    expect(keys).toHaveLength(4);
    for (const key of [...keys, 'missing']) {
      expect(fromSnapshot.store.getJsonEntry(key)).toBe(fromText.store.getJsonEntry(key));
      expect(fromSnapshot.store.getBytes(key)).toEqual(fromText.store.getBytes(key));
    }
    expect(fromSnapshot.store.keysInOrder('', undefined, 10)).toEqual(fromText.store.keysInOrder('', undefined, 10));
  });

  it('gives the summary that reading it on this thread gives', async () => {
    const inWorker = await loadDatasetInWorker(snapshot, { onMalformed: 'fail' });
    const here = await loadSnapshot(snapshot);
    expect(withoutTimes(inWorker.summary)).toEqual(withoutTimes(here.summary));
    expect(withoutTimes(inWorker.summary)).toMatchObject({
      ...withoutTimes((await loadDataset(text, { onMalformed: 'skip' })).summary),
      format: 'snapshot',
      source: snapshot,
      bytes: (await readFile(snapshot)).length,
    });
  });

  it('refuses a damaged snapshot with the same DatasetLoadError as on this thread', async () => {
    const damaged = join(dir, 'damaged.bin');
    const bytes = await readFile(snapshot);
    bytes[bytes.length - 2] ^= 0x04;
    await writeFile(damaged, bytes);
    const expected = await loadSnapshot(damaged).catch((error: Error) => error);
    const error = await loadDatasetInWorker(damaged, { onMalformed: 'skip' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(DatasetLoadError);
    expect((error as Error).message).toBe((expected as Error).message);
    expect((error as Error).message).toMatch(/its records section .* fails its checksum/);
  });

  it('reports progress while a snapshot loads', async () => {
    const copy = join(dir, 'progress.kvs');
    await copyFile(snapshot, copy);
    const reports: number[] = [];
    await loadDatasetInWorker(copy, {
      onMalformed: 'fail',
      progressIntervalMs: 0,
      onProgress: (p) => reports.push(p.bytes),
    });
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[reports.length - 1]).toBe((await readFile(copy)).length);
  });
});
