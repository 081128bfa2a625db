#!/usr/bin/env node
// What start-up costs, part by part (no HTTP load): in fresh processes, the import time
// each layer of the server adds on top of the ones before it, the loader worker's start,
// and spawn-to-ready of the whole server and of bare Fastify with a Map on the same data.
// Rounds alternate; medians are printed.
//
//   npm run bench:boot -- [--rounds 5] [--node 24]
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/server.mjs';
import { spawnUntilReady } from './lib/readiness.mjs';
import { nodeVersion, resolveNode } from './lib/runtime.mjs';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, node: { type: 'string' } },
});

/** Each layer is imported after all the ones above it, in one process, and timed alone. */
const LAYERS = [
  ['Fastify', ['fastify']],
  [
    'Nest (core, common, platform-fastify, config)',
    ['@nestjs/core', '@nestjs/common', '@nestjs/platform-fastify', '@nestjs/config'],
  ],
  ['OpenAPI (@nestjs/swagger)', ['@nestjs/swagger']],
  ['health (@nestjs/terminus)', ['@nestjs/terminus']],
  ['metrics (prom-client, @willsoto/nestjs-prometheus)', ['prom-client', '@willsoto/nestjs-prometheus']],
  ['logging (pino, nestjs-pino)', ['pino', 'nestjs-pino']],
  ['validation (class-validator, class-transformer)', ['class-validator', 'class-transformer']],
  ['access file parser (yaml)', ['yaml']],
  ["kv-server's own modules (dist/create-app.js)", [join(ROOT, 'dist/create-app.js')]],
];

const node = resolveNode(args.node);
const rounds = Number(args.rounds);
const samples = new Map();
const record = (name, ms) => samples.set(name, [...(samples.get(name) ?? []), ms]);

for (let round = 0; round < rounds; round++) {
  process.stderr.write(`round ${round + 1} of ${rounds}\n`);
  for (const [name, ms] of Object.entries(layerTimes())) record(name, ms);
  record('loader worker: start, load the example, hand it over', workerLoad());
  record('kv-server, spawn to ready (example data)', await spawnToReady('dist/main.js'));
  record('bare Fastify and a Map, spawn to ready (example data)', await spawnToReady('bench/baseline/fastify-map.mjs'));
  record('node -e 0, spawn to exit', spawnToExit(['-e', '0']));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const lines = [
  '## Start-up benchmark',
  '',
  `\`npm run bench:boot -- --rounds ${rounds}${args.node ? ` --node ${args.node}` : ''}\` on Node ${nodeVersion(node)}, ` +
    `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString().slice(0, 10)}; medians of ${rounds} rounds.`,
  '',
  '| part | ms |',
  '|---|---|',
  ...[...samples].map(([name, values]) => `| ${name} | ${median(values)} |`),
  '',
  '- Import rows: the time each layer adds, imported after every row above it in one fresh process (with a warm compile cache, as from the second start on).',
  '- The entry point starts the loader worker before the imports, so its time overlaps them.',
  '',
];
process.stdout.write(lines.join('\n'));

function layerTimes() {
  const script = `
    const layers = ${JSON.stringify(LAYERS)};
    const { enableCompileCache } = await import('node:module');
    enableCompileCache?.();
    const out = {};
    for (const [name, modules] of layers) {
      const startedAt = performance.now();
      for (const m of modules) await import(m.startsWith('/') ? 'file://' + m : m);
      out['import: ' + name] = Math.round(performance.now() - startedAt);
    }
    console.log(JSON.stringify(out));`;
  const run = spawnSync(node, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`imports failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

function workerLoad() {
  const script = `
    const { loadDatasetInWorker } = await import('file://${join(ROOT, 'dist/store/index.js')}');
    const startedAt = performance.now();
    await loadDatasetInWorker('${join(ROOT, 'data/example.data')}', { onMalformed: 'fail' });
    console.log(Math.round(performance.now() - startedAt));`;
  // A file, not --eval: the worker would inherit --input-type, which only --eval takes.
  const file = join(tmpdir(), `kv-boot-worker-${process.pid}.mjs`);
  writeFileSync(file, script);
  const run = spawnSync(node, [file], { cwd: ROOT, encoding: 'utf8' });
  rmSync(file);
  if (run.status !== 0) throw new Error(`worker load failed: ${run.stderr}`);
  return Number(run.stdout.trim());
}

function spawnToExit(nodeArgs) {
  const startedAt = performance.now();
  spawnSync(node, nodeArgs, { stdio: 'ignore' });
  return Math.round(performance.now() - startedAt);
}

/** Spawn until it answers ready (the same probe for both servers), on the example data. */
function spawnToReady(entry) {
  return spawnUntilReady(node, join(ROOT, entry), {
    cwd: ROOT,
    env: { ...process.env, KV_DATA_FILE_PATH: join(ROOT, 'data/example.data') },
  });
}
