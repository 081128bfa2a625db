#!/usr/bin/env node
// kv-server against a bare Fastify + Map baseline (and optionally bare node:http + Map):
// same data, same load, runs alternated in one invocation, each server pinned to one core
// and the load generator to another. The figure that matters is requests per server
// CPU-second (CPU read from /proc for the server's pid), which stays stable on a noisy
// machine where requests per second do not; the target is kv-server >= 0.9 x Fastify.
//
//   npm run bench [-- --rounds 3 --seconds 10 --connections 50 --lines 10000]
//   npm run bench -- --node 24 --servers fastify,kv-server   # without the node:http baseline
//   npm run bench -- --tool autocannon        # where wrk is not installed
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lookupKeys, writeKeysFile } from './lib/keys.mjs';
import { RUNNERS } from './lib/load-runners.mjs';
import { medianRows, runsTable, summaryTable, targetLines } from './lib/bench-tables.mjs';
import { freePort, hasCommand, machineInfo, nodeVersion, resolveNode, timestamp } from './lib/runtime.mjs';
import { ROOT, cpuSeconds, dataFile, startProcess } from './lib/server.mjs';

const ROLES_API_KEY = 'bench-roles-key';
const ROLES_ACCESS_FILE = join(ROOT, 'bench', 'results', 'bench-access.yaml');
const SNAPSHOT_FILE = join(ROOT, 'bench', 'results', 'bench-data.kvs');

/** Each server the bench knows: its script, the environment it needs beyond HOST/PORT, and the load's headers. */
const SERVERS = {
  fastify: { script: join(ROOT, 'bench', 'baseline', 'fastify-map.mjs'), env: {} },
  'node-http': { script: join(ROOT, 'bench', 'baseline', 'node-http-map.mjs'), env: {} },
  // The default configuration (metrics on, access log off); stdout goes to /dev/null.
  'kv-server': { script: join(ROOT, 'dist', 'main.js'), env: { LOG_LEVEL: 'info' } },
  // The same with client roles on: an access file, and a client's key on every request.
  'kv-server-roles': {
    script: join(ROOT, 'dist', 'main.js'),
    env: { LOG_LEVEL: 'info', KV_ACCESS_FILE: ROLES_ACCESS_FILE },
    headers: [`Authorization: Bearer ${ROLES_API_KEY}`],
  },
  // The same data from a snapshot built of it: a text file's first load serves from
  // shared memory (SharedArrayBuffer records), a snapshot from plain ArrayBuffers.
  'kv-server-snapshot': {
    script: join(ROOT, 'dist', 'main.js'),
    env: { LOG_LEVEL: 'info', KV_DATA_FILE_PATH: SNAPSHOT_FILE },
  },
};

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    lines: { type: 'string', default: '10000' },
    'miss-ratio': { type: 'string', default: '0.1' },
    servers: { type: 'string', default: 'fastify,kv-server,node-http' },
    tool: { type: 'string' },
    node: { type: 'string' },
    'server-cpu': { type: 'string', default: '1' },
    'load-cpu': { type: 'string', default: '0' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results') },
  },
});
const rounds = Number(options.rounds);
const seconds = Number(options.seconds);
const warmup = Number(options.warmup);
const connections = Number(options.connections);
const servers = options.servers.split(',').map((name) => name.trim());
const tool = options.tool ?? (hasCommand('wrk', ['-v']) ? 'wrk' : 'autocannon');
const unknown = servers.filter((name) => !SERVERS[name]);
if (unknown.length || !RUNNERS[tool] || !(rounds >= 1) || !(seconds > 0) || !(warmup >= 0) || !(connections >= 1)) {
  console.error(`bad arguments: servers ${Object.keys(SERVERS).join('|')}, tool wrk|autocannon, positive numbers`);
  process.exit(2);
}
if (servers.some((name) => name.startsWith('kv-server')) && !existsSync(SERVERS['kv-server'].script)) {
  console.error(`${SERVERS['kv-server'].script} is missing: run "npm run build" first`);
  process.exit(2);
}

if (servers.includes('kv-server-roles')) writeRolesAccessFile();

const node = resolveNode(options.node);
const data = dataFile(Number(options.lines));
if (servers.includes('kv-server-snapshot')) buildSnapshotOf(data);
const keysFile = writeKeysFile(lookupKeys(data, Number(options['miss-ratio'])), 'bench-keys.txt');
const load = RUNNERS[tool];
const parameters = {
  date: new Date().toISOString(),
  serverNode: `${nodeVersion(node)} (${node})`,
  tool: `${tool} (1 thread, pinned to CPU ${options['load-cpu']})`,
  serverCpu: options['server-cpu'],
  connections,
  seconds,
  warmupSeconds: warmup,
  rounds,
  data: `${data} (${options.lines} lines), ${options['miss-ratio']} misses`,
};
const machine = machineInfo();

/**
 * The roles variant's access file: one client whose 16 prefixes (one per first hex digit
 * of the data's UUID keys) cover every key, so each look-up pays the prefix scan a
 * many-prefix role costs, and a decoy client before it.
 */
function writeRolesAccessFile() {
  const sha256 = (text) => createHash('sha256').update(text).digest('hex');
  const prefixes = [...'0123456789abcdef'].map((digit) => `"${digit}"`).join(', ');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    ROLES_ACCESS_FILE,
    `clients:\n  - id: decoy\n    keySha256: ${sha256('decoy')}\n    prefixes: ["x/"]\n` +
      `  - id: bench\n    keySha256: ${sha256(ROLES_API_KEY)}\n    prefixes: [${prefixes}]\n`,
  );
}

/** `kv-server build` of the bench's data file, with the node that runs the servers. */
function buildSnapshotOf(file) {
  mkdirSync(dirname(SNAPSHOT_FILE), { recursive: true });
  const build = spawnSync(node, [join(ROOT, 'dist', 'cli.js'), 'build', file, '--output', SNAPSHOT_FILE], {
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    console.error(`building the snapshot failed: ${build.stderr}`);
    process.exit(1);
  }
}

/** One measured run: start the server, warm it up, measure CPU across the measured load. */
async function measure(name, round) {
  const port = await freePort();
  const { script, env, headers = [] } = SERVERS[name];
  const server = await startProcess({
    script,
    env: { KV_DATA_FILE_PATH: data, ...env },
    port,
    cpu: options['server-cpu'],
    node,
  });
  const target = { url: `http://127.0.0.1:${port}`, keysFile, connections, cpu: options['load-cpu'], headers };
  try {
    // JIT and caches settle during the warm-up; none of it is counted.
    if (warmup > 0) await load({ ...target, seconds: warmup });
    const cpuBefore = cpuSeconds(server.pid);
    const result = await load({ ...target, seconds });
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    return {
      round,
      server: name,
      ...result,
      cpu,
      reqPerCpu: result.requests / cpu,
      reqPerSec: result.requests / result.seconds,
    };
  } finally {
    await server.stop();
  }
}

const runs = [];
try {
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order so that drift in the machine's speed favours no server.
    const order = round % 2 ? servers : [...servers].reverse();
    for (const name of order) {
      const run = await measure(name, round);
      runs.push(run);
      console.error(
        `round ${round} ${name}: ${run.requests} requests, ${run.cpu.toFixed(2)} CPU-s, ${Math.round(run.reqPerCpu)} req/CPU-s, p99 ${run.p99.toFixed(2)} ms`,
      );
    }
  }
} finally {
  rmSync(keysFile, { force: true });
}

const medians = medianRows(runs, servers);
const text = [
  `# kv-server bench, ${parameters.date}`,
  '',
  ...Object.entries({ ...parameters, ...machine }).map(([key, value]) => `- ${key}: ${value}`),
  '',
  '## Medians over rounds',
  '',
  summaryTable(medians),
  '',
  targetLines(medians, runs),
  '',
  '## Every run',
  '',
  runsTable(runs),
  '',
].join('\n');
console.log(`\n${text}`);
mkdirSync(options.out, { recursive: true });
const file = join(resolve(options.out), `bench-${timestamp()}.md`);
writeFileSync(file, text);
console.log(`report: ${file}`);
