// One measurement of bench/snapshots.mjs, in a fresh process: load, build or floor.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { memory, startLoopLagProbe } from './lib/process-probes.mjs';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

const dist = (path) => import(pathToFileURL(join(DIST, path)).href);

/** Each mode imports what it needs, then returns the work to time. */
const modes = {
  /**
   * The server's first load, either format: a text file's store answers look-ups before
   * its keys are sorted (`answerBeforeSorted`), timed here until the key order is in
   * too, so that its peak memory, the sort's scratch included, is the one measured.
   */
  async load() {
    const { loadDatasetInWorker } = await dist('store/index.js');
    return async (file) => {
      const { store } = await loadDatasetInWorker(file, { onMalformed: 'skip', answerBeforeSorted: true });
      await store.keyOrderPending;
      return { keys: store.size };
    };
  },
  /** What `kv-server build` does, without its progress and summary. */
  async build() {
    const { buildSnapshot } = await dist('store/snapshot/build-snapshot.js');
    return async (file, output) => {
      const { header } = await buildSnapshot(file, output, { onMalformed: 'skip' });
      return { keys: header.keys };
    };
  },
  /** Reading the file into memory, and nothing else. */
  async floor() {
    return async (file) => ({ bytes: readFileSync(file).length });
  },
};

export async function runSnapshotChild(mode, file, output) {
  const work = await modes[mode]();
  const lag = startLoopLagProbe();
  const startedAt = performance.now();
  const result = await work(file, output);
  const ms = Math.round((performance.now() - startedAt) * 10) / 10;
  const maxLoopLagMs = lag.stop();
  return { mode, ms, peakRss: memory().peak, maxLoopLagMs: Math.round(maxLoopLagMs), ...result };
}
