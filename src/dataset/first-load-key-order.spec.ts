import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dir, useDataDir, writeData } from '../store/load-dataset.test-helpers.js';
import type { ReloadOutcome } from './dataset.service.js';

/**
 * The first load hands its dataset over before its keys are sorted: DatasetService
 * serves look-ups from it at once, makes listings wait for the order, and reloads if
 * the order never comes. The loader's worker is replaced by a script that hands over
 * a real store and then delays or fails its sort; a load that does not hand over early
 * (the reload) runs the real worker from dist/ (`npm test` builds first).
 */
useDataDir();
let dataFile: string;
const DIST = join(__dirname, '../../dist/store/compact');

beforeAll(async () => {
  dataFile = await writeData('beta 2\nalpha 1\n');
});

/** A worker that hands over "zulu"/"yankee" before sorting, then runs `afterSort(order)`; a reload gets the real worker. */
async function workerScript(afterSort: string): Promise<string> {
  const script = join(dir, `worker-${Math.random().toString(36).slice(2)}.mjs`);
  const url = (name: string) => JSON.stringify(pathToFileURL(join(DIST, name)).href);
  await writeFile(
    script,
    `import { parentPort, workerData } from 'node:worker_threads';
     if (!workerData.handOverBeforeSort) await import(${url('load-worker.js')});
     else {
       const { CompactStoreBuilder } = await import(${url('compact-store-builder.js')});
       const builder = new CompactStoreBuilder({ sharedMemory: true });
       for (const text of ['zulu z', 'yankee y']) builder.add(Buffer.from(text), 0, text.indexOf(' '), text.length);
       const summary = { version: 'handed-over', format: 'text', bytes: 16, lines: 2, duplicatesOverridden: 0, malformedSkipped: 0 };
       const store = builder.finish({ onHashIndexBuilt: (parts) =>
         parentPort.postMessage({ type: 'indexed', parts, summary, malformedSamples: [] }, [parts.hashSlots.buffer]) });
       const { order } = store.toParts().parts;
       ${afterSort}
     }`,
  );
  return script;
}

/** A DatasetService whose first load was started, as the entry point starts it, with `script` as the worker. */
async function startedService(script: string, file = dataFile, keyOrderRetryMs?: number) {
  let modules: {
    service: import('./dataset.service.js').DatasetService;
    Logger: typeof import('@nestjs/common').Logger;
  };
  jest.isolateModules(() => {
    jest.doMock('../store/compact/compact-worker-path.jest.cjs', () => ({
      compactLoadWorkerUrl: pathToFileURL(script),
    }));
    const { startFirstLoad } = jest.requireActual('./first-load.js');
    const { DatasetService } = jest.requireActual('./dataset.service.js');
    const { ConfigService } = jest.requireActual('@nestjs/config');
    const { validateEnvironment } = jest.requireActual('../config/environment.js');
    const env = { KV_DATA_FILE_PATH: file, LOG_LEVEL: 'error' };
    startFirstLoad(env);
    modules = {
      service: new DatasetService(new ConfigService(validateEnvironment(env))),
      Logger: jest.requireActual('@nestjs/common').Logger,
    };
  });
  const logged: unknown[] = [];
  jest.spyOn(modules!.Logger.prototype, 'log').mockImplementation((message: unknown) => void logged.push(message));
  jest.spyOn(modules!.Logger.prototype, 'error').mockImplementation((message: unknown) => void logged.push(message));
  if (keyOrderRetryMs !== undefined) modules!.service.keyOrderRetryMs = keyOrderRetryMs;
  await modules!.service.onModuleInit();
  return { service: modules!.service, logged };
}

afterEach(() => jest.restoreAllMocks());

describe('the first load before its keys are sorted', () => {
  it('serves look-ups at once, and listings once the order arrives', async () => {
    const { service, logged } = await startedService(
      await workerScript(`setTimeout(() => parentPort.postMessage({ type: 'sorted', order }, [order.buffer]), 300);`),
    );
    expect(service.serving.store.get('zulu')).toBe('z');
    expect(service.serving.store.keyOrderPending).toBeDefined();
    const listed = await service.servingInKeyOrder();
    expect(listed).toBe(service.serving);
    expect(listed.store.keysInOrder('', undefined, 10)).toEqual(['yankee', 'zulu']);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'Keys sorted; listings are answered now' }));
  });

  it('answers listings 503 when the order never comes, and reloads the file to build it', async () => {
    const { service, logged } = await startedService(await workerScript('process.exit(3);'));
    const reloaded = new Promise<ReloadOutcome>((resolve) => service.onReload(resolve));
    expect(service.serving.store.get('zulu')).toBe('z');
    const refusal = await service.servingInKeyOrder().then(
      () => undefined,
      (error: unknown) => error as { getStatus(): number; message: string },
    );
    expect(refusal?.getStatus()).toBe(503);
    expect(refusal?.message).toMatch(/key order of the dataset could not be built/);

    expect(await reloaded).toMatchObject({ trigger: 'key order failure', outcome: 'success' });
    const listed = await service.servingInKeyOrder();
    expect(listed.store.keysInOrder('', undefined, 10)).toEqual(['alpha', 'beta']);
    expect(listed.summary.version).not.toBe('handed-over');
    expect(logged).toContainEqual(expect.objectContaining({ error: expect.stringMatching(/exited with code 3/) }));
  });

  it('tries the reload again while it fails, until one builds the key order', async () => {
    const file = join(dir, 'becomes-valid.txt');
    await writeFile(file, 'not-a-valid-line\n');
    const { service } = await startedService(await workerScript('process.exit(3);'), file, 50);
    const outcomes: ReloadOutcome[] = [];
    const failedOnce = new Promise<void>((resolve) =>
      service.onReload((outcome) => {
        outcomes.push(outcome);
        if (outcome.outcome === 'failure') resolve();
      }),
    );
    await failedOnce;
    await writeFile(file, 'gamma 3\n');
    const listed = await waitForListing(service);
    expect(listed).toEqual(['gamma']);
    expect(outcomes.every((outcome) => outcome.trigger === 'key order failure')).toBe(true);
    expect(outcomes.at(-1)?.outcome).toBe('success');
  });
});

/** The keys listed once a listing is answered (503s meanwhile are retried). */
async function waitForListing(service: import('./dataset.service.js').DatasetService): Promise<string[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const dataset = await service.servingInKeyOrder().catch(() => undefined);
    if (dataset !== undefined) return dataset.store.keysInOrder('', undefined, 10);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('listings never became available');
}
