#!/usr/bin/env node
// Does a client flooding POST /keys/_mget with hostile bodies hurt everyone else? Runs
// the same look-up load against the built server twice: alone, and while one client
// sends hostile batch bodies (nested 50,000 deep, 100,000-element arrays, prototype
// fields) at about --flood-mbps MB/s. Prints throughput and p99 of the look-ups in both
// runs and their ratios. Targets: throughput >= 0.8x, p99 <= 2x.
//
//   npm run bench:flood [-- --seconds 10 --flood-mbps 2 --node 24]
import autocannon from 'autocannon';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ROOT, dataFile, sampleKeys, startProcess } from './lib/server.mjs';
import { resolveNode } from './lib/runtime.mjs';

const BODIES = [
  '{"keys":'.repeat(25_000) + '"a"' + '}'.repeat(25_000),
  JSON.stringify({ keys: Array.from({ length: 100_000 }, () => 1) }),
  `{"keys":["a"],"__proto__":{"x":"${'y'.repeat(200_000)}"}}`,
  '['.repeat(200_000),
];

if (!isMainThread) {
  const { port, mbps, untilMs } = workerData;
  parentPort.postMessage(await flood(port, mbps, untilMs));
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'flood-mbps': { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    node: { type: 'string' },
  },
});
const port = 18990 + Math.floor(Math.random() * 9);
const file = dataFile(100_000);
const keys = sampleKeys(file);
const node = values.node === undefined ? process.execPath : resolveNode(values.node);
const server = await startProcess({
  script: join(ROOT, 'dist', 'main.js'),
  env: { KV_DATA_FILE_PATH: file },
  port,
  node,
});

function lookUps(seconds) {
  let i = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: Number(values.connections),
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, path: `/keys/${keys[i++ % keys.length]}` }) }],
  });
}

/**
 * One client, one body at a time, paced to the wanted byte rate. It runs in a worker
 * thread, so that sending it does not slow the look-up client's event loop down.
 */
async function flood(port, mbps, untilMs) {
  const bytesPerMs = (mbps * 1e6) / 1000;
  const statuses = {};
  let sent = 0;
  const startedAt = Date.now();
  for (let n = 0; Date.now() < untilMs; n++) {
    const body = BODIES[n % BODIES.length];
    const response = await fetch(`http://127.0.0.1:${port}/keys/_mget`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await response.arrayBuffer();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    sent += body.length;
    const ahead = sent / bytesPerMs - (Date.now() - startedAt);
    if (ahead > 0) await sleep(ahead);
  }
  return { statuses, megabytes: sent / 1e6, seconds: (Date.now() - startedAt) / 1000 };
}

try {
  const seconds = Number(values.seconds);
  await lookUps(2); // warm-up
  const alone = await lookUps(seconds);
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { port, mbps: Number(values['flood-mbps']), untilMs: Date.now() + seconds * 1000 },
  });
  const floodDone = new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
  const during = await lookUps(seconds);
  const flooded = await floodDone;
  const runtime = node === process.execPath ? process.version : `node ${values.node}`;
  console.log(`\nLook-ups with and without a hostile _mget flood, ${runtime}`);
  console.log('| run | look-ups/s | p99 ms | errors |');
  console.log('|---|---|---|---|');
  console.log(`| alone | ${alone.requests.average} | ${alone.latency.p99} | ${alone.errors} |`);
  console.log(`| during the flood | ${during.requests.average} | ${during.latency.p99} | ${during.errors} |`);
  const throughput = during.requests.average / alone.requests.average;
  const p99 = during.latency.p99 / Math.max(alone.latency.p99, 1);
  console.log(
    `\nflood: ${flooded.megabytes.toFixed(1)} MB in ${flooded.seconds.toFixed(1)} s ` +
      `(${(flooded.megabytes / flooded.seconds).toFixed(2)} MB/s), answers ${JSON.stringify(flooded.statuses)}`,
  );
  console.log(
    `throughput during / alone: ${throughput.toFixed(2)} (target >= 0.8: ${throughput >= 0.8 ? 'met' : 'missed'}); ` +
      `p99 during / alone: ${p99.toFixed(2)} (target <= 2: ${p99 <= 2 ? 'met' : 'missed'})`,
  );
} finally {
  await server.stop();
}
