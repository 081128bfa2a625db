#!/usr/bin/env node
// Snapshot benchmark, load-time only (no HTTP load): for each data file, in fresh
// processes, the text load, the snapshot build, the snapshot load and the floor (reading
// the snapshot file into memory and nothing else), each with its peak RSS; then the
// built server's spawn-to-ready on the text and on the snapshot, and on the example
// beside a read of this size's snapshot, in another process and in its own (the
// yardsticks). Each measurement waits --settle seconds first (see settle()); rounds
// alternate the measurements, and medians are printed, because this VM's page faults
// cost two to ten times more from one minute to the next.
//
//   npm run bench:snapshots -- [--sizes 1m,10m,50m] [--rounds 3] [--node 24] [--hugetlb] [--settle 4]
//                              [--cache /tmp/kv-snapshot-bench] [--generators DIR]
//
// Data: 1m and 10m from gen-data.mjs (`node gen-data.mjs N --name X`), 50m from
// gen-short.mjs, the shared generators (--generators, default ../shared/bench or
// ../../shared/bench), plus `example` (data/example.data, 10k keys). Made once, kept in
// the cache folder with their snapshots. Prints a markdown table, written to
// bench/results/snapshots.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runSnapshotChild } from './snapshot-child.mjs';
import { renderSnapshotReport } from './lib/snapshot-report.mjs';
import { spawnUntilReady } from './lib/readiness.mjs';
import { resolveNode, nodeVersion } from './lib/runtime.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'example,1m,10m' },
    rounds: { type: 'string', default: '3' },
    node: { type: 'string' },
    hugetlb: { type: 'boolean', default: false },
    settle: { type: 'string', default: '4' },
    cache: { type: 'string', default: '/tmp/kv-snapshot-bench' },
    generators: { type: 'string' },
    // Internal: one measurement in this process (the parent spawns these).
    child: { type: 'string' },
    file: { type: 'string' },
    output: { type: 'string' },
  },
});

if (args.child) {
  const result = await runSnapshotChild(args.child, args.file, args.output);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  await main();
}

async function main() {
  for (const built of ['dist/main.js', 'dist/cli.js', 'dist/store/index.js']) {
    if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run "npm run build" first.`);
  }
  mkdirSync(args.cache, { recursive: true });
  const node = resolveNode(args.node);
  // glibc's hugetlb tunable makes malloc ask for transparent huge pages (THP "madvise"
  // mode): far fewer page faults when a process fills gigabytes of fresh memory.
  const env = { ...process.env, ...(args.hugetlb ? { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' } : {}) };
  const rows = [];
  for (const size of args.sizes.split(',')) {
    const text = ensureData(size);
    const snapshot = join(args.cache, `${size}.kvs`);
    const runs = {
      text: [],
      build: [],
      snapshot: [],
      floor: [],
      floorSpawn: [],
      textReady: [],
      snapshotReady: [],
      bootBesideRead: [],
      bootBesideOwnRead: [],
      fastifyReady: [],
    };
    for (let round = 0; round < Number(args.rounds); round++) {
      process.stderr.write(`${size}: round ${round + 1} of ${args.rounds}\n`);
      // Each measurement after the same pause (--settle): see settle().
      runs.build.push(await settle(() => child(node, env, 'build', text, snapshot)));
      runs.floor.push(await settle(() => child(node, env, 'floor', snapshot)));
      runs.snapshot.push(await settle(() => child(node, env, 'load', snapshot)));
      runs.text.push(await settle(() => child(node, env, 'load', text)));
      runs.floorSpawn.push(await settle(() => spawnToExit(node, env, floorArgs(snapshot))));
      runs.snapshotReady.push(await settle(() => serverReady(node, env, snapshot)));
      runs.bootBesideRead.push(await settle(() => bootBesideRead(node, env, snapshot)));
      runs.bootBesideOwnRead.push(await settle(() => bootBesideOwnRead(node, env, snapshot)));
      runs.textReady.push(await settle(() => serverReady(node, env, text, undefined, true)));
      // The yardstick of start-up itself: bare Fastify serving the same text from a Map.
      if (size === 'example')
        runs.fastifyReady.push(await settle(() => serverReady(node, env, text, 'bench/baseline/fastify-map.mjs')));
    }
    rows.push({ size, textBytes: statSync(text).size, snapshotBytes: statSync(snapshot).size, ...medians(runs) });
  }
  const report = renderSnapshotReport(rows, { ...args, nodeLabel: nodeVersion(node) });
  process.stdout.write(report);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/snapshots.md'), report);
  process.stderr.write('written to bench/results/snapshots.md\n');
}

/**
 * Waits --settle seconds, then measures. This VM hands memory a process freed back to its
 * host about two seconds later (virtio-balloon free page reporting), and memory touched
 * again after that costs several times more: back to back, each measurement inherits
 * the previous one's freed memory or not, depending on the order. With a pause of 3 s or
 * more (4 by default; `--settle 0` runs back to back), every measurement starts as a new
 * pod does, on memory the host took back.
 */
async function settle(measure) {
  const seconds = Number(args.settle);
  if (seconds > 0) await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return measure();
}

/** The data file for a size name, generated with the shared generators when missing. */
function ensureData(size) {
  if (size === 'example') return join(ROOT, 'data/example.data');
  const file = join(args.cache, `data-${size}.txt`);
  if (existsSync(file)) return file;
  const generators =
    args.generators ?? [join(ROOT, '../shared/bench'), join(ROOT, '../../shared/bench')].find(existsSync);
  if (!generators) throw new Error('the shared generators are not found: pass --generators DIR');
  const lines = { '1m': 1_000_000, '10m': 10_000_000, '50m': 50_000_000 }[size];
  if (!lines) throw new Error(`unknown size "${size}": example, 1m, 10m or 50m`);
  process.stderr.write(`generating ${file}...\n`);
  // 50M keys is the short-key file of the issue; the others are gen-data.mjs's.
  const command =
    size === '50m'
      ? [join(generators, 'gen-short.mjs'), String(lines), file, join(args.cache, `sample-${size}.json`)]
      : [join(generators, 'gen-data.mjs'), String(lines), '--name', size, '--dir', args.cache];
  execFileSync(process.execPath, command, { stdio: 'inherit' });
  return file;
}

function child(node, env, mode, file, output) {
  const extra = output ? ['--output', output] : [];
  const run = spawnSync(node, [fileURLToPath(import.meta.url), '--child', mode, '--file', file, ...extra], {
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = run.stdout.trim().split('\n').pop();
  if (run.status !== 0 || !last) throw new Error(`${mode} ${file} failed with exit ${run.status}`);
  return JSON.parse(last);
}

/**
 * Spawn of a server (`node dist/main.js` unless `entry` says) on `file` until it answers
 * ready; with `list`, also until its first listing (`GET /keys?limit=1`), sent once it is
 * ready, is answered: a text start answers look-ups before its keys are sorted, and a
 * listing waits for the sort.
 */
async function serverReady(node, env, file, entry = 'dist/main.js', list = false) {
  let listedMs;
  const readyMs = await spawnUntilReady(node, join(ROOT, entry), {
    cwd: ROOT,
    env: { ...env, KV_DATA_FILE_PATH: file, KV_ON_MALFORMED: 'skip' },
    whenReady: list
      ? async (port, startedAt) => {
          const response = await fetch(`http://127.0.0.1:${port}/keys?limit=1`);
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`GET /keys?limit=1 answered ${response.status}`);
          listedMs = Math.round(performance.now() - startedAt);
        }
      : undefined,
  });
  return { readyMs, listedMs };
}

/** `node ARGS` that reads the file into memory and exits: the floor as a process. */
function floorArgs(file) {
  return ['-e', `require('node:fs').readFileSync(${JSON.stringify(file)})`];
}

/**
 * The server starting on the 10k example while another process reads the snapshot into
 * memory, until both are done: what overlapping the start with a load that were mere
 * reading would give on this machine, where the two slow each other down (by all signs
 * through memory, not cores). A same-round yardstick for "ready, snapshot", which does both in one process.
 */
async function bootBesideRead(node, env, snapshot) {
  // Each side's own finish: the server's when it answers ready (serverReady resolves
  // only after it has also shut down), the read's when its process exits.
  const [read, server] = await Promise.all([
    spawnToExit(node, env, floorArgs(snapshot)),
    serverReady(node, env, ensureData('example')),
  ]);
  return { ms: Math.max(read.ms, server.readyMs) };
}

/**
 * The server starting on the 10k example while a worker thread of its own process reads
 * the snapshot into memory (bench/lib/read-beside-preload.mjs), until both are done: the
 * arrangement of "ready, snapshot" with a load that is nothing but the read, so what is
 * left of the gap to the floor is the machine's, not kv-server's loader. The read's finish
 * is timed from the server process's own start, a few ms after the spawn.
 */
async function bootBesideOwnRead(node, env, snapshot) {
  const done = join(tmpdir(), `kv-read-beside-${process.pid}.ms`);
  rmSync(done, { force: true });
  const preload = join(ROOT, 'bench/lib/read-beside-preload.mjs');
  const readyMs = await spawnUntilReady(node, join(ROOT, 'dist/main.js'), {
    cwd: ROOT,
    env: {
      ...env,
      KV_DATA_FILE_PATH: ensureData('example'),
      KV_ON_MALFORMED: 'skip',
      NODE_OPTIONS: `--import=${preload}`,
      KV_BENCH_READ_BESIDE: snapshot,
      KV_BENCH_READ_DONE: done,
    },
    // A read that outlasts the start is waited for before the server is stopped.
    whenReady: async () => {
      const giveUpAt = performance.now() + 120_000;
      while (!existsSync(done) && performance.now() < giveUpAt) await new Promise((resolve) => setTimeout(resolve, 2));
    },
  });
  if (!existsSync(done)) throw new Error(`start beside its own read: ${snapshot} was not read within 2 min`);
  const readMs = Math.round(Number(readFileSync(done, 'utf8')));
  rmSync(done);
  return { ms: Math.max(readyMs, readMs) };
}

/** Spawn of `node ARGS` until it exits: the floor as a process, from its start. */
function spawnToExit(node, env, args) {
  const startedAt = performance.now();
  const child = spawn(node, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve({ ms: Math.round(performance.now() - startedAt) }) : reject(new Error(`exit ${code}`)),
    ),
  );
}

function medians(runs) {
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const pick = (list, field) => median(list.map((run) => run[field]));
  return {
    textMs: pick(runs.text, 'ms'),
    textPeak: pick(runs.text, 'peakRss'),
    buildMs: pick(runs.build, 'ms'),
    buildPeak: pick(runs.build, 'peakRss'),
    snapshotMs: pick(runs.snapshot, 'ms'),
    snapshotPeak: pick(runs.snapshot, 'peakRss'),
    snapshotLagMs: pick(runs.snapshot, 'maxLoopLagMs'),
    floorMs: pick(runs.floor, 'ms'),
    floorPeak: pick(runs.floor, 'peakRss'),
    // The ratio within each round, then its median: the rounds' noise cancels out.
    ratio: median(runs.snapshot.map((run, i) => run.ms / runs.floor[i].ms)),
    textReadyMs: pick(runs.textReady, 'readyMs'),
    textListedMs: pick(runs.textReady, 'listedMs'),
    snapshotReadyMs: pick(runs.snapshotReady, 'readyMs'),
    floorSpawnMs: pick(runs.floorSpawn, 'ms'),
    readyRatio: median(runs.snapshotReady.map((run, i) => run.readyMs / runs.floorSpawn[i].ms)),
    besideMs: pick(runs.bootBesideRead, 'ms'),
    besideRatio: median(runs.bootBesideRead.map((run, i) => run.ms / runs.floorSpawn[i].ms)),
    ownBesideMs: pick(runs.bootBesideOwnRead, 'ms'),
    ownBesideRatio: median(runs.bootBesideOwnRead.map((run, i) => run.ms / runs.floorSpawn[i].ms)),
    fastifyReadyMs: runs.fastifyReady.length > 0 ? pick(runs.fastifyReady, 'readyMs') : undefined,
    keys: runs.snapshot[0].keys,
  };
}
