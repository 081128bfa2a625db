#!/usr/bin/env node
// autocannon as a separate process for `npm run bench --tool autocannon` (so it can be
// pinned to its own CPU like wrk). Prints one AUTOCANNON_RESULT line, latencies in ms.
//
//   node bench/lib/autocannon-cli.mjs --url URL --keys FILE --connections 50 --seconds 10
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runLoad } from './autocannon-load.mjs';
import { LatencyRecorder } from './latency-recorder.mjs';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    keys: { type: 'string' },
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    timeout: { type: 'string', default: '10' },
    // "Name: value", repeatable: sent on every request (the roles bench's Authorization).
    header: { type: 'string', multiple: true, default: [] },
  },
});
const keys = readFileSync(values.keys, 'utf8').split('\n').filter(Boolean);
const recorder = new LatencyRecorder();
const seconds = Number(values.seconds);
await runLoad({
  url: values.url,
  keys,
  connections: Number(values.connections),
  durationSeconds: seconds,
  timeoutSeconds: Number(values.timeout),
  headers: Object.fromEntries(values.header.map((header) => header.split(/:\s*(.*)/s).slice(0, 2))),
  recorder,
});
const summary = recorder.summary(seconds);
const fields = {
  requests: summary.requests,
  seconds,
  p50: summary.percentiles[50],
  p99: summary.percentiles[99],
  p999: summary.percentiles[99.9],
  max: summary.percentiles[100],
  non2xx: summary.status.notFound + summary.status.other,
  errors: summary.errors,
  timeouts: summary.timeouts,
};
console.log(
  `AUTOCANNON_RESULT ${Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ')}`,
);
process.exit(0); // nothing may keep a finished run alive
