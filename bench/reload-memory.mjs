#!/usr/bin/env node
// Does memory come back after reloads? Loads the built server on a generated file,
// puts a steady load of look-ups on it, reloads the dataset back to back N times
// (POST /admin/reload), and samples the server's resident memory from /proc every
// 50 ms: steady RSS before, peak RSS during, and RSS 10 s after the last reload.
// The targets: peak at most 2x steady + 100 MB; after, within 1.2x of steady.
//
//   npm run bench:reload-memory [-- --lines 1000000 --reloads 100 --node 24]
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ROOT, dataFile, sampleKeys, startProcess } from './lib/server.mjs';
import { resolveNode } from './lib/runtime.mjs';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    reloads: { type: 'string', default: '100' },
    rate: { type: 'string', default: '2000' },
    'settle-seconds': { type: 'string', default: '10' },
    node: { type: 'string' },
  },
});
const TOKEN = 'bench-reload-memory';
const port = 18900 + Math.floor(Math.random() * 90);
const file = dataFile(Number(values.lines));
const keys = sampleKeys(file);
const node = values.node === undefined ? process.execPath : resolveNode(values.node);

const server = await startProcess({
  script: join(ROOT, 'dist', 'main.js'),
  env: { KV_DATA_FILE_PATH: file, KV_ADMIN_TOKEN: TOKEN },
  port,
  node,
});

const rssMiB = () => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return Number(match[1]) / 1024;
};

let i = 0;
const load = autocannon({
  url: `http://127.0.0.1:${port}`,
  connections: 10,
  overallRate: Number(values.rate),
  duration: 3600,
  requests: [{ setupRequest: (request) => ({ ...request, path: `/keys/${keys[i++ % keys.length]}` }) }],
});

try {
  await sleep(3000);
  const steady = rssMiB();
  let peak = steady;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 50);
  const startedAt = performance.now();
  for (let n = 0; n < Number(values.reloads); n++) {
    const response = await fetch(`http://127.0.0.1:${port}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (response.status !== 200) throw new Error(`reload failed: ${response.status} ${await response.text()}`);
  }
  const reloadSeconds = (performance.now() - startedAt) / 1000;
  await sleep(Number(values['settle-seconds']) * 1000);
  clearInterval(sampler);
  const after = rssMiB();
  load.stop();
  const result = await load;

  const runtime = node === process.execPath ? process.version : values.node;
  console.log(
    `\n${values.reloads} back-to-back reloads of a ${values.lines}-line file under ${values.rate} req/s, node ${runtime}`,
  );
  console.log(
    '| steady RSS MiB | peak RSS MiB | peak / steady | RSS 10 s after MiB | after / steady | reloads took s | requests | errors |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${steady.toFixed(0)} | ${peak.toFixed(0)} | ${(peak / steady).toFixed(2)} | ${after.toFixed(0)} | ${(after / steady).toFixed(2)} | ${reloadSeconds.toFixed(1)} | ${result.requests.total} | ${result.errors + result.non2xx} |`,
  );
  const peakTarget = 2 * steady + 100;
  console.log(
    `\ntargets: peak <= 2 x steady + 100 MB = ${peakTarget.toFixed(0)} MiB: ${peak <= peakTarget ? 'met' : 'missed'}; after <= 1.2 x steady: ${after <= 1.2 * steady ? 'met' : 'missed'}`,
  );
} finally {
  load.stop();
  await server.stop();
}
