import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyValueStore } from './key-value-store.js';
import { DatasetLoadError, type Dataset } from './load-dataset.js';

/**
 * What the loadDataset specs (load-dataset*.spec.ts) share: a temporary directory for
 * their data files, and how they read a store and a refusal. Not a spec itself, and
 * left out of the build (tsconfig.build.json).
 */

/**
 * The temporary directory of the spec file that called `useDataDir`, set once its
 * `beforeAll` has run. Jest gives every spec file its own copy of this module, so each
 * spec file has a directory of its own.
 */
export let dir: string;
let fileCounter = 0;

/** Makes `dir` before the calling spec file's tests and removes it after them. */
export function useDataDir(): void {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-load-dataset-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
}

export async function writeData(content: string | Buffer, name = `data-${++fileCounter}.txt`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

export function sortedEntries(store: KeyValueStore): Array<[string, string]> {
  return [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Resolves to the error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<DatasetLoadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetLoadError);
  return error as DatasetLoadError;
}

/** The summary and samples without the fields that depend on when and how fast it loaded (checked for shape). */
export function stableSummary({ summary, malformedSamples }: Dataset) {
  const { loadedAt, loadDurationMs, ...rest } = summary;
  expect(new Date(loadedAt).toISOString()).toBe(loadedAt);
  expect(loadDurationMs).toBeGreaterThanOrEqual(0);
  return { ...rest, malformedSamples };
}
