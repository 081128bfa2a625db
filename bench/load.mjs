#!/usr/bin/env node
// Load benchmark: the compact engine (loadDatasetInWorker, from dist/) against a plain
// Map loaded the simplest way, each in a fresh child process, per file size.
//
//   npm run bench:load -- [--lines 1000000,10000000] [--lookups 2000000] [--node24]
//                         [--engines compact,map] [--cache /tmp/kv-bench]
//
// --node24 runs the children on Node 24 (`npx -y -p node@24 node`), the container's.
// Files come from scripts/generate-data.mjs --seed 1 and are kept in the cache folder.
// Prints a markdown table and writes it to bench/results/load.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runChild } from './load-child.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000,10000000' },
    lookups: { type: 'string', default: '2000000' },
    engines: { type: 'string', default: 'compact,map' },
    cache: { type: 'string', default: '/tmp/kv-bench' },
    node24: { type: 'boolean', default: false },
    // Internal: run one measurement in this process (the parent spawns these).
    child: { type: 'string' },
    file: { type: 'string' },
  },
});

if (args.child) {
  const result = await runChild(args.child, args.file, Number(args.lookups));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  main();
}

function main() {
  if (!existsSync(join(ROOT, 'dist/store/compact/load-in-worker.js'))) {
    throw new Error('dist/ has no compact engine: run "npm run build" (npm run bench:load does).');
  }
  mkdirSync(args.cache, { recursive: true });
  const node = args.node24 ? ['npx', ['-y', '-p', 'node@24', 'node']] : [process.execPath, []];
  const rows = [];
  for (const lines of args.lines.split(',').map(Number)) {
    const file = ensureDataFile(lines);
    for (const engine of args.engines.split(',')) {
      process.stderr.write(`${engine}, ${lines} lines...\n`);
      const child = spawnSync(
        node[0],
        [
          ...node[1],
          '--expose-gc',
          fileURLToPath(import.meta.url),
          '--child',
          engine,
          '--file',
          file,
          '--lookups',
          args.lookups,
        ],
        { encoding: 'utf8', maxBuffer: 16 * MiB, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const last = child.stdout.trim().split('\n').pop();
      const result = child.status === 0 && last ? JSON.parse(last) : { failed: `exit ${child.status}` };
      rows.push({ engine, lines, fileBytes: statSync(file).size, ...result });
    }
  }
  const report = render(rows, node[0] === 'npx' ? 'node@24 (npx)' : process.version);
  process.stdout.write(report);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/load.md'), report);
  process.stderr.write('written to bench/results/load.md\n');
}

function ensureDataFile(lines) {
  const file = join(args.cache, `${lines}.data`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file}...\n`);
    execFileSync(
      process.execPath,
      [join(ROOT, 'scripts/generate-data.mjs'), '--lines', String(lines), '--out', file, '--seed', '1'],
      {
        stdio: 'inherit',
      },
    );
  }
  return file;
}

function render(rows, nodeLabel) {
  const mb = (bytes) => (bytes === undefined ? '-' : (bytes / MiB).toFixed(0));
  const header = [
    'engine',
    'lines',
    'file MB',
    'keys',
    'ready ms',
    'peak RSS MB',
    'target MB',
    'RSS after MB',
    'heap used MB',
    'bytes/key beyond data',
    'look-ups/s',
    'max loop lag ms',
  ];
  const table = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const cells = row.failed
      ? [row.engine, row.lines, mb(row.fileBytes), `failed: ${row.failed}`, ...Array(header.length - 4).fill('-')]
      : [
          row.engine,
          row.lines,
          mb(row.fileBytes),
          row.keys,
          row.readyMs,
          mb(row.peakRss),
          mb(1.25 * row.fileBytes + 100 * MiB),
          mb(row.rssAfter),
          mb(row.heapUsed),
          ((row.rssAfter - row.baselineRss - row.fileBytes) / row.keys).toFixed(1),
          Math.round(row.lookupsPerSecond).toLocaleString('en-US'),
          row.maxLoopLagMs,
        ];
    table.push(`| ${cells.join(' | ')} |`);
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    '## Load benchmark',
    '',
    `\`npm run bench:load -- --lines ${args.lines}${args.node24 ? ' --node24' : ''}\` on ${nodeLabel}, ` +
      `${cpus().length} x ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    ...table,
    '',
    '- ready: from the start of the load until the store answers (compact: worker start, read, parse, index, transfer).',
    '- peak RSS: VmHWM of the child process; target: 1.25 x file + 100 MB.',
    '- bytes/key beyond data: (RSS after load and GC - RSS before - file size) / keys.',
    `- look-ups: ${Number(args.lookups).toLocaleString('en-US')} gets of random existing keys.`,
    '- max loop lag: the longest a 10 ms setInterval was late while the load ran (the Map load blocks the loop throughout).',
    '',
  ].join('\n');
}
