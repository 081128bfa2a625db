#!/usr/bin/env node
// The original service's load test (Locust: 1000 users, random keys, 1 min) in Node with
// autocannon. Prints the original's percentile table plus throughput and error counts, and
// writes an HTML report (and its data as JSON) to bench/results/.
//
//   npm run load-test [-- --connections 1000 --ramp-up 0 --duration 60 --miss-ratio 0.1]
//   npm run load-test -- --cpu 1 --node 24          # server pinned to CPU 1, on Node 24
//   npm run load-test -- --url http://127.0.0.1:8080 # a server that is already running
//
// Each connection is one Locust user with no wait time: it sends the next request as soon
// as the last one answered. A request that gets no answer within --timeout seconds (Locust
// has no timeout by default) counts as a timeout and its connection is reopened.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './lib/autocannon-load.mjs';
import { renderHtml } from './lib/html-report.mjs';
import { lookupKeys } from './lib/keys.mjs';
import { LatencyRecorder, percentileTable } from './lib/latency-recorder.mjs';
import {
  freePort,
  hasTaskset,
  machineInfo,
  nodeVersion,
  otherCpus,
  pinThisProcess,
  resolveNode,
  timestamp,
} from './lib/runtime.mjs';
import { ROOT, startProcess } from './lib/server.mjs';

const USAGE = `usage: node bench/load-test.mjs [--url URL | --data FILE --cpu N --node PATH|24]
  [--connections 1000] [--ramp-up 0] [--duration 60] [--miss-ratio 0.1] [--timeout 10] [--out DIR]`;

const { values: options } = parseArgs({
  options: {
    url: { type: 'string' },
    data: { type: 'string', default: join(ROOT, 'data', 'example.data') },
    connections: { type: 'string', default: '1000' },
    'ramp-up': { type: 'string', default: '0' },
    duration: { type: 'string', default: '60' },
    'miss-ratio': { type: 'string', default: '0.1' },
    timeout: { type: 'string', default: '10' },
    cpu: { type: 'string' },
    node: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results') },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const number = (name, min, max = Infinity) => {
  const value = Number(options[name]);
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(`--${name} must be a number from ${min} to ${max}\n${USAGE}`);
    process.exit(2);
  }
  return value;
};
const connections = Math.round(number('connections', 1));
const rampUpSeconds = number('ramp-up', 0);
const durationSeconds = number('duration', 1);
const missRatio = number('miss-ratio', 0, 0.99);
const timeoutSeconds = number('timeout', 0.1);
if (rampUpSeconds >= durationSeconds) {
  console.error(`--ramp-up must be shorter than --duration\n${USAGE}`);
  process.exit(2);
}

const dataPath = resolve(options.data);
const keys = lookupKeys(dataPath, missRatio);
let server;
let url = options.url;
let serverNode = 'not started here';
if (!url) {
  const main = join(ROOT, 'dist', 'main.js');
  if (!existsSync(main)) {
    console.error(`${main} is missing: run "npm run build" first`);
    process.exit(2);
  }
  const node = resolveNode(options.node);
  serverNode = `${nodeVersion(node)} (${node})`;
  const port = await freePort();
  server = await startProcess({ script: main, env: { KV_DATA_FILE_PATH: dataPath }, port, cpu: options.cpu, node });
  url = `http://127.0.0.1:${port}`;
}
// The load generator must not compete with the server for its core.
const loadCpus = options.cpu !== undefined ? otherCpus(options.cpu) : undefined;
const pinned = loadCpus !== undefined && pinThisProcess(loadCpus);

const parameters = {
  target: url,
  serverStartedHere: Boolean(server),
  serverNode,
  serverCpu: options.cpu !== undefined && hasTaskset() ? options.cpu : 'not pinned',
  loadGeneratorCpus: pinned ? loadCpus : 'not pinned',
  loadGeneratorNode: process.version,
  data: dataPath,
  lookupKeys: keys.length,
  missRatio,
  connections,
  rampUpSeconds,
  durationSeconds,
  timeoutSeconds,
  tool: 'autocannon (every response recorded)',
};
const startedAt = new Date().toISOString();
const recorder = new LatencyRecorder();
console.error(
  `load test: ${connections} connections${rampUpSeconds ? `, ramped over ${rampUpSeconds} s` : ' opened at once'}, ${durationSeconds} s against ${url}`,
);
let totals;
try {
  totals = await runLoad({
    url,
    keys,
    connections,
    durationSeconds,
    rampUpSeconds,
    timeoutSeconds,
    recorder,
    progress: (r) => {
      const last = r.perSecond.at(-2) ?? { responses: 0 };
      console.error(
        `  ${r.perSecond.length - 1} s: ${last.responses} req/s, ${r.timeouts} timeouts, ${r.errors} errors`,
      );
    },
  });
} finally {
  await server?.stop();
}

const summary = recorder.summary(durationSeconds);
const report = { startedAt, parameters, machine: machineInfo(), summary, autocannonTotals: totals };
console.log(
  `\nkv-server load test, ${startedAt}, ${durationSeconds} s, ${connections} connections (ramp-up ${rampUpSeconds} s)`,
);
console.log('Response time percentiles (ms)');
console.log(percentileTable(summary));
console.log('\n| requests/s | 2xx | 404 (misses) | other non-2xx | errors | timeouts |');
console.log('|---|---|---|---|---|---|');
console.log(
  `| ${summary.throughput.toFixed(0)} | ${summary.status.ok} | ${summary.status.notFound} | ${summary.status.other} | ${summary.errors} | ${summary.timeouts} |`,
);
console.log(
  `load generator: ${totals.instances} autocannon instances; opening ${rampUpSeconds ? 'the first step of' : 'all'} connections took ${totals.openingMs} ms, during which it was blocked for at most ${totals.longestBlockMs} ms at a time`,
);
if (summary.errors > 0) console.log(`errors: ${JSON.stringify(summary.errorMessages)}`);

mkdirSync(options.out, { recursive: true });
const base = join(resolve(options.out), `load-test-${timestamp()}`);
writeFileSync(`${base}.json`, JSON.stringify(report, null, 1));
writeFileSync(`${base}.html`, renderHtml(report));
console.log(`\nreport: ${base}.html\ndata:   ${base}.json`);
