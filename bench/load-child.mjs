// One measurement of bench/load.mjs, run in a fresh process started with --expose-gc.
import { createReadStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { memory, startLoopLagProbe } from './lib/process-probes.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Distinct keys sampled from the file for the look-up loop. */
const SAMPLE_KEYS = 1_000_000;

function collectGarbage() {
  globalThis.gc();
  globalThis.gc();
}

const loaders = {
  async compact(file) {
    const url = pathToFileURL(join(ROOT, 'dist/store/compact/load-in-worker.js'));
    const { loadDatasetInWorker } = await import(url.href);
    let progressReports = 0;
    const { store } = await loadDatasetInWorker(file, { onMalformed: 'skip', onProgress: () => progressReports++ });
    return { lookup: (key) => store.get(key), keys: store.size, progressReports };
  },
  /** The simplest way: one string, split into lines, each split at the first space. */
  async map(file) {
    const map = new Map();
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const separator = line.indexOf(' ');
      if (separator > 0) map.set(line.slice(0, separator), line.slice(separator + 1));
    }
    return { lookup: (key) => map.get(key), keys: map.size };
  },
};

/**
 * Every n-th key of the file, about SAMPLE_KEYS of them. Read in chunks: readline's
 * async iterator does not wait for its reader and would buffer every line of the file.
 */
async function sampleKeys(file, keys) {
  const every = Math.max(1, Math.floor(keys / SAMPLE_KEYS));
  const sample = [];
  let index = 0;
  let carry = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
      if (index++ % every === 0) {
        const separator = data.indexOf(32, start);
        if (separator > start && separator < newline) sample.push(data.toString('utf8', start, separator));
      }
      start = newline + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
  return sample;
}

export async function runChild(engine, file, lookups) {
  collectGarbage();
  const baselineRss = memory().rss;

  // How late a 10 ms interval fires while loading: the event loop's responsiveness.
  const lag = startLoopLagProbe();
  const startedAt = performance.now();
  let loaded;
  try {
    loaded = await loaders[engine](file);
  } catch (error) {
    lag.stop();
    return { failed: String(error.message ?? error).slice(0, 80) };
  }
  const readyMs = Math.round(performance.now() - startedAt);
  // The Map load never yields, so the probe has not run since it started: stop counts that.
  const maxLoopLagMs = lag.stop();

  collectGarbage();
  const { rss: rssAfter, peak: peakRss } = memory();
  const heapUsed = process.memoryUsage().heapUsed;

  const sample = await sampleKeys(file, loaded.keys);
  const order = new Uint32Array(lookups).map(() => Math.floor(Math.random() * sample.length));
  let found = 0;
  const lookupStart = performance.now();
  for (let i = 0; i < lookups; i++) if (loaded.lookup(sample[order[i]]) !== undefined) found++;
  const lookupsPerSecond = lookups / ((performance.now() - lookupStart) / 1000);
  if (found !== lookups) throw new Error(`only ${found} of ${lookups} sampled keys were found`);

  return {
    node: process.version,
    keys: loaded.keys,
    readyMs,
    baselineRss,
    rssAfter,
    peakRss,
    heapUsed,
    fileBytes: statSync(file).size,
    lookupsPerSecond,
    maxLoopLagMs: Math.round(maxLoopLagMs),
    progressReports: loaded.progressReports,
  };
}
