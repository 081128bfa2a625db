#!/usr/bin/env node
// How long a fleet takes to follow a published version (contract section 6): REPLICAS
// servers poll one manifest served by a real nginx (Debian's nginx-light) every
// KV_POLL_INTERVAL=2 s; the manifest is switched to another 1M-key dataset, and the
// time from the switch until every replica serves the new version is measured, for a
// text file and for a snapshot of it. Each replica's peak RSS (VmHWM) during the
// update is printed beside two datasets' size: the bound is two datasets plus 100 MB.
//
//   npm run bench:fleet [-- --lines 1000000 --replicas 3 --rounds 2]
//
// Not a throughput benchmark: one manifest switch per round, a few seconds each.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    replicas: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '1' },
  },
});
const LINES = Number(values.lines);
const REPLICAS = Number(values.replicas);
const ROUNDS = Number(values.rounds);
const POLL_SECONDS = 2;

const work = await mkdtemp(join(tmpdir(), 'kv-bench-fleet-'));
const www = join(work, 'www');
await mkdir(www);
const children = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = async (path) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

async function startNginx() {
  const binary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
  if (binary === undefined) throw new Error('nginx is missing: apt-get install -y nginx-light');
  const port = await freePort();
  const config = join(work, 'nginx.conf');
  const temp = join(work, 'nginx-tmp');
  await writeFile(
    config,
    `daemon off; master_process off; pid ${join(work, 'nginx.pid')}; error_log ${join(work, 'error.log')};
events {}
http { access_log off; client_body_temp_path ${temp}; proxy_temp_path ${temp}; fastcgi_temp_path ${temp};
  uwsgi_temp_path ${temp}; scgi_temp_path ${temp};
  server { listen 127.0.0.1:${port}; root ${www}; etag on; } }\n`,
  );
  children.push(spawn(binary, ['-p', work, '-c', config, '-e', join(work, 'error.log')], { stdio: 'inherit' }));
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return `http://127.0.0.1:${port}`;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('nginx did not start');
}

function startReplica(
  manifestUrl,
  index,
  source = { KV_MANIFEST_URL: manifestUrl, KV_POLL_INTERVAL: String(POLL_SECONDS) },
) {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      ...source,
      KV_DOWNLOAD_DIR: join(work, `downloads-${index}`),
      KV_EXTRA_LISTENERS: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text) => (out += text));
  return new Promise((resolve, reject) => {
    const timer = setInterval(async () => {
      if (child.exitCode !== null) reject(new Error(`replica ${index} exited: ${out}`));
      try {
        const port = Number(/"msg":"kv-server listening on [^"]*","port":(\d+)/.exec(out)?.[1] ?? 0);
        if (port === 0) return;
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        if (response.ok) {
          clearInterval(timer);
          resolve({ child, port });
        }
      } catch {
        // not yet
      }
    }, 200);
  });
}

/** Peak resident set size since the last reset (VmHWM), in MB. */
function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
}
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}
/** Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs). */
async function resetPeak(pid) {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}

async function publish(file) {
  const name = `${await sha256(file)}.bin`;
  await writeFile(join(www, name), await readFile(file));
  await writeFile(join(www, 'current.json.tmp'), JSON.stringify({ url: name, sha256: await sha256(file) }));
  await rename(join(www, 'current.json.tmp'), join(www, 'current.json'));
}

async function versionOf(port) {
  return (await (await fetch(`http://127.0.0.1:${port}/dataset`)).json()).version;
}

const generate = (out, seed) =>
  execFileSync(process.execPath, [
    join(ROOT, 'scripts', 'generate-data.mjs'),
    '--lines',
    String(LINES),
    '--out',
    out,
    '--seed',
    seed,
  ]);
const fileA = join(work, 'a.data');
const fileB = join(work, 'b.data');
generate(fileA, '1');
generate(fileB, '2');
const snapshotA = join(work, 'a.kvs');
const snapshotB = join(work, 'b.kvs');
for (const [input, output] of [
  [fileA, snapshotA],
  [fileB, snapshotB],
]) {
  execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'build', input, '--output', output], {
    stdio: 'ignore',
  });
}

const base = await startNginx();
const results = [];
let baselineMb;
try {
  // The process with (almost) no data: the bundled 10k-key example.
  const bare = await startReplica(undefined, 'bare', { KV_DATA_FILE_PATH: join(ROOT, 'data', 'example.data') });
  await sleep(1000);
  baselineMb = rssMb(bare.child.pid);
  bare.child.kill('SIGTERM');
  for (const [format, first, second] of [
    ['text', fileA, fileB],
    ['snapshot', snapshotA, snapshotB],
  ]) {
    await publish(first);
    const replicas = await Promise.all(
      Array.from({ length: REPLICAS }, (_, i) => startReplica(`${base}/current.json`, `${format}-${i}`)),
    );
    const bytes = (await stat(first)).size;
    for (let round = 0; round < ROUNDS; round++) {
      const to = round % 2 === 0 ? second : first;
      const before = await versionOf(replicas[0].port);
      await sleep(1000);
      const beforeMb = replicas.map(({ child }) => rssMb(child.pid));
      for (const { child } of replicas) await resetPeak(child.pid);
      const switchedAt = performance.now();
      await publish(to);
      for (;;) {
        const versions = await Promise.all(replicas.map(({ port }) => versionOf(port)));
        if (versions.every((version) => version !== before)) break;
        await sleep(20);
      }
      const seconds = (performance.now() - switchedAt) / 1000;
      const peaks = replicas.map(({ child }) => peakRssMb(child.pid));
      results.push({ format, round: round + 1, seconds, peaks, beforeMb, bytes });
    }
    for (const { child } of replicas) child.kill('SIGTERM');
    await sleep(500);
  }
} finally {
  children.forEach((child) => child.kill('SIGTERM'));
  await sleep(200);
  await rm(work, { recursive: true, force: true });
}

console.log(
  `fleet update: ${REPLICAS} replicas, ${LINES} keys, KV_POLL_INTERVAL=${POLL_SECONDS} (node ${process.versions.node})`,
);
console.log(`baseline RSS (the bundled 10k-key example): ${baselineMb.toFixed(0)} MB`);
console.log('a dataset in memory = RSS before the update - baseline; bound = baseline + 2 datasets + 100 MB');
console.log('format    round  change -> all serve  file MB  RSS before (MB)  peak RSS during (MB)  bound (MB)');
const list = (numbers) => numbers.map((n) => n.toFixed(0)).join('/');
const firstRound = new Map(results.filter((result) => result.round === 1).map((result) => [result.format, result]));
for (const { format, round, seconds, peaks, beforeMb, bytes } of results) {
  // From the first round: later ones start with the replaced dataset not yet collected.
  const dataset = Math.max(...firstRound.get(format).beforeMb) - baselineMb;
  const bound = baselineMb + 2 * dataset + 100;
  console.log(
    `${format.padEnd(9)} ${String(round).padStart(5)}  ${seconds.toFixed(2).padStart(16)} s  ${(bytes / 1e6).toFixed(0).padStart(7)}  ` +
      `${list(beforeMb).padStart(15)}  ${list(peaks).padStart(20)}  ${bound.toFixed(0).padStart(10)}`,
  );
}
