#!/usr/bin/env node
// Does a reload stall the event loop? Runs a steady load of look-ups against the built
// server on a 1M-line file and compares latency in steady state with latency while the
// dataset is reloaded back to back (POST /admin/reload).
//
//   npm run bench:reload [-- --lines 1000000 --seconds 10 --connections 10]
import autocannon from 'autocannon';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ROOT, dataFile, sampleKeys, startProcess } from './lib/server.mjs';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2000' },
  },
});
const TOKEN = 'bench-reload';
const port = 18500 + Math.floor(Math.random() * 400);
const file = dataFile(Number(values.lines));
const keys = sampleKeys(file);

const server = await startProcess({
  script: join(ROOT, 'dist', 'main.js'),
  env: { KV_DATA_FILE_PATH: file, KV_ADMIN_TOKEN: TOKEN },
  port,
});

/** A steady, rate-limited load (so latency, not throughput, is what moves). */
function load(seconds) {
  let i = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: Number(values.connections),
    overallRate: Number(values.rate),
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, path: `/keys/${keys[i++ % keys.length]}` }) }],
  });
}

try {
  await load(2); // warm-up
  const steady = await load(Number(values.seconds));
  let reloads = 0;
  let reloading = true;
  const reloadLoop = (async () => {
    while (reloading) {
      const response = await fetch(`http://127.0.0.1:${port}/admin/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      if (response.status !== 200) throw new Error(`reload failed: ${response.status} ${await response.text()}`);
      reloads++;
    }
  })();
  const during = await load(Number(values.seconds));
  reloading = false;
  await reloadLoop;

  const row = (name, result) =>
    `| ${name} | ${result.requests.total} | ${result.latency.p50} | ${result.latency.p99} | ${result.latency.max} | ${result.errors + result.non2xx} |`;
  console.log(
    `\nReload of a ${values.lines}-line file under ${values.rate} req/s (${values.connections} connections), node ${process.version}`,
  );
  console.log('| phase | requests | p50 ms | p99 ms | max ms | errors |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('steady state', steady));
  console.log(row(`during ${reloads} reloads`, during));
  console.log(
    `\np99 during reloads / steady p99: ${(during.latency.p99 / Math.max(steady.latency.p99, 1)).toFixed(2)}x`,
  );
} finally {
  await server.stop();
}
