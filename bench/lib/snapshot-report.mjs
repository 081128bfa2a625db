// The markdown report of bench/snapshots.mjs: one row a data size, and what each column means.
import { cpus, totalmem } from 'node:os';

const MiB = 1024 * 1024;

export function renderSnapshotReport(rows, args) {
  const { nodeLabel } = args;
  const mb = (bytes) => (bytes / MiB).toFixed(0);
  const header = [
    'data',
    'keys',
    'text MiB',
    'text load ms',
    'text peak RSS MiB',
    'build ms',
    'build peak RSS MiB',
    'snapshot MiB',
    'bytes/key over text',
    'snapshot load ms',
    'snapshot peak RSS MiB',
    'floor ms',
    'floor peak RSS MiB',
    'load / floor',
    'max loop lag ms',
    'server ready, text ms',
    'first listing, text ms',
    'server ready, snapshot ms',
    'floor as a process ms',
    'ready, snapshot / floor as a process',
    'start beside a read ms',
    'beside / floor as a process',
    'start beside its own read ms',
    'own read / floor as a process',
    'bare Fastify ready ms',
  ];
  const table = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) {
    table.push(
      `| ${[
        r.size,
        r.keys.toLocaleString('en-US'),
        mb(r.textBytes),
        r.textMs,
        mb(r.textPeak),
        r.buildMs,
        mb(r.buildPeak),
        mb(r.snapshotBytes),
        ((r.snapshotBytes - r.textBytes) / r.keys).toFixed(1),
        r.snapshotMs,
        mb(r.snapshotPeak),
        r.floorMs,
        mb(r.floorPeak),
        r.ratio.toFixed(2),
        r.snapshotLagMs,
        r.textReadyMs,
        r.textListedMs,
        r.snapshotReadyMs,
        r.floorSpawnMs,
        r.readyRatio.toFixed(2),
        r.besideMs,
        r.besideRatio.toFixed(2),
        r.ownBesideMs,
        r.ownBesideRatio.toFixed(2),
        r.fastifyReadyMs ?? '',
      ].join(' | ')} |`,
    );
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const command = `npm run bench:snapshots -- --sizes ${args.sizes} --rounds ${args.rounds}${args.node ? ` --node ${args.node}` : ''}${args.hugetlb ? ' --hugetlb' : ''} --settle ${args.settle}`;
  return [
    '## Snapshot benchmark',
    '',
    `\`${command}\` on Node ${nodeLabel}, ${cpus().length} x ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ` +
      `${new Date().toISOString().slice(0, 10)}; medians of ${args.rounds} rounds.`,
    '',
    ...table,
    '',
    "- text load / snapshot load: loadDatasetInWorker (the server's loader) as a first load does it, in a fresh process, from the call until the store answers everything (a text file's look-ups come before its key order; this waits for the order).",
    '- build: what `kv-server build` does (read, parse, index, write, fsync, rename), in a fresh process.',
    '- floor: `fs.readFileSync` of the snapshot in a fresh process: reading it into memory and nothing else. load / floor: the median of the per-round ratios.',
    '- max loop lag: the longest a 10 ms timer was late during the snapshot load (the event loop stays free).',
    '- server ready: spawn of `node dist/main.js` until `GET /health/ready` answers 200 (Node, Nest, the load, the port; the load overlaps the imports). A text start is ready once look-ups can be answered; first listing, text: until `GET /keys?limit=1`, sent at ready, is answered (it waits for the keys to be sorted).',
    "- floor as a process: spawn of `node -e 'readFileSync(snapshot)'` until it exits: process start to the file in memory. ready, snapshot / floor as a process: the median of the per-round ratios.",
    '- start beside a read: the server starting on the example data while another process reads the snapshot into memory, until both are done: the same-round yardstick for a start that overlaps a load costing no more than reading. beside / floor as a process: the median of the per-round ratios.',
    '- start beside its own read: the server starting on the example data while a worker thread of its own process reads the snapshot into memory and hands the bytes to the main thread, until both are done: the arrangement of "ready, snapshot" with a load that is nothing but reading. own read / floor as a process: the median of the per-round ratios.',
    '- bare Fastify ready: spawn of `bench/baseline/fastify-map.mjs` (Fastify and a Map, the same text) until its `/health/ready` answers 200; example data only.',
    '- peak RSS: VmHWM of the process.',
    '',
  ].join('\n');
}
