import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileChangeWatcher } from './file-change-watcher.js';

/**
 * The first load the entry point starts before the framework is imported. Each test
 * gets a fresh copy of the module, whose state (one started load) is per process.
 */
let dir: string;
let dataFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-first-load-'));
  dataFile = join(dir, 'data.txt');
  await writeFile(dataFile, 'alpha one\nbeta two\nnot-a-valid-line\nalpha three\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function freshModule(): Promise<typeof import('./first-load.js')> {
  jest.resetModules();
  return import('./first-load.js');
}

describe('the first load', () => {
  it('is taken by the same file and policy, once, with the file as loaded', async () => {
    const { startFirstLoad, takeFirstLoad } = await freshModule();
    startFirstLoad({ KV_DATA_FILE_PATH: dataFile, KV_ON_MALFORMED: 'SKIP' });
    const taken = takeFirstLoad(dataFile, 'skip', () => undefined);
    expect(taken).toBeDefined();
    const dataset = await taken!;
    expect(dataset.store.get('alpha')).toBe('three');
    expect(dataset.store.get('beta')).toBe('two');
    expect(dataset.summary.malformedSkipped).toBe(1);
    expect(takeFirstLoad(dataFile, 'skip', () => undefined)).toBeUndefined();
  });

  it('is not taken for another file or another policy', async () => {
    const first = await freshModule();
    first.startFirstLoad({ KV_DATA_FILE_PATH: dataFile, KV_ON_MALFORMED: 'skip' });
    expect(first.takeFirstLoad(join(dir, 'other.txt'), 'skip', () => undefined)).toBeUndefined();
    const second = await freshModule();
    second.startFirstLoad({ KV_DATA_FILE_PATH: dataFile, KV_ON_MALFORMED: 'skip' });
    expect(second.takeFirstLoad(dataFile, 'fail', () => undefined)).toBeUndefined();
  });

  it('passes on the loader error to its taker', async () => {
    const { startFirstLoad, takeFirstLoad } = await freshModule();
    startFirstLoad({ KV_DATA_FILE_PATH: dataFile });
    // The default policy is fail, and the file has a malformed line 3.
    await expect(takeFirstLoad(dataFile, 'fail', () => undefined)).rejects.toThrow(/line 3/);
  });

  it('is not started for a remote source or an invalid policy', async () => {
    // Each take asks for exactly what a load started from that environment would be.
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ KV_DATA_URL: 'http://127.0.0.1:1/data.txt', KV_DATA_FILE_PATH: dataFile }, 'fail'],
      [{ KV_MANIFEST_URL: 'http://127.0.0.1:1/manifest.json', KV_DATA_FILE_PATH: dataFile }, 'fail'],
      [{ KV_DATA_FILE_PATH: dataFile, KV_ON_MALFORMED: 'ignore' }, 'ignore'],
    ];
    for (const [env, policy] of cases) {
      const { startFirstLoad, takeFirstLoad } = await freshModule();
      startFirstLoad(env);
      expect(takeFirstLoad(dataFile, policy as 'fail', () => undefined)).toBeUndefined();
    }
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['no variable is set', {}],
    [
      'every variable is empty (the configuration reads that as unset)',
      { KV_DATA_FILE_PATH: '', KV_ON_MALFORMED: '', KV_DATA_URL: '', KV_MANIFEST_URL: '' },
    ],
  ])('loads the bundled example under "fail" when %s', async (_case, env) => {
    const { startFirstLoad, takeFirstLoad } = await freshModule();
    startFirstLoad(env);
    const dataset = await takeFirstLoad('data/example.data', 'fail', () => undefined)!;
    expect(dataset.store.get('greeting')).toBe('Hello, world!');
  });

  it('gives KV_WATCH the file as the load found it: a replacement during the imports still reloads', async () => {
    const { startFirstLoad, takeFirstLoad, firstLoadBaseline } = await freshModule();
    const watched = join(dir, 'watched.txt');
    await writeFile(watched, 'alpha one\n');
    startFirstLoad({ KV_DATA_FILE_PATH: watched });
    await takeFirstLoad(watched, 'fail', () => undefined);
    // Replaced after the load read it, before the service makes its watcher.
    await writeFile(join(dir, 'next.txt'), 'alpha two, a new version\n');
    await rename(join(dir, 'next.txt'), watched);
    let changes = 0;
    const watcher = new FileChangeWatcher(
      watched,
      () => changes++,
      (error) => {
        throw error;
      },
      {
        settleMs: 10,
        baseline: firstLoadBaseline(watched),
      },
    );
    try {
      await watcher.start();
      expect(changes).toBe(1);
    } finally {
      watcher.close();
    }
    expect(firstLoadBaseline(join(dir, 'other.txt'))).toBeUndefined();
  });
});
