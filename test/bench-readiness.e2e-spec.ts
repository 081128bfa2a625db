import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/server-process.js';

/**
 * bench/lib/readiness.mjs, the spawn-to-ready probe of bench:boot and bench:snapshots,
 * against a small server that counts the probes it gets. Ready is a 200 from
 * /health/ready, whatever the server prints; the fast probe starts only once it prints
 * that it listens, so the observer does not take the CPU from the server it times.
 */
const FIXTURE = `
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
const { MODE, SAY_AFTER_MS, NOT_READY_FIRST, STATS, PORT, HOST } = process.env;
if (MODE === 'exit') process.exit(3);
const stats = { beforeLine: 0, afterLine: 0, notReadyAnswers: 0, saidAt: 0, readyAt: 0 };
let said = false;
let notReadyLeft = Number(NOT_READY_FIRST ?? 0);
const server = createServer((request, response) => {
  if (request.url !== '/health/ready') return response.writeHead(404).end();
  said ? stats.afterLine++ : stats.beforeLine++;
  if (said && notReadyLeft > 0) {
    notReadyLeft--;
    stats.notReadyAnswers++;
    return response.writeHead(503).end();
  }
  const ready = said || MODE === 'silent';
  if (ready) stats.readyAt = Date.now();
  response.writeHead(ready ? 200 : 503).end();
});
server.listen(Number(PORT), HOST, () => {
  if (MODE === 'silent') return;
  // The line in two writes, 30 ms apart: the probe must find it across chunks.
  setTimeout(() => {
    process.stdout.write('kv-server list');
    setTimeout(() => {
      process.stdout.write('ening on http://' + HOST + ':' + PORT + '\\n');
      said = true;
      stats.saidAt = Date.now();
    }, 30);
  }, Number(SAY_AFTER_MS ?? 0));
});
process.once('SIGINT', () => {
  writeFileSync(STATS, JSON.stringify(stats));
  process.exit(0);
});
`;

interface Outcome {
  ms?: number;
  error?: string;
  stats?: { beforeLine: number; afterLine: number; notReadyAnswers: number; saidAt: number; readyAt: number };
}

describe('bench/lib/readiness.mjs: spawnUntilReady', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-readiness-'));
    await writeFile(join(dir, 'fixture.mjs'), FIXTURE);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function probe(env: Record<string, string>): Promise<Outcome> {
    const stats = join(dir, `stats-${Math.random().toString(36).slice(2)}.json`);
    const script = `
      import { spawnUntilReady } from './bench/lib/readiness.mjs';
      const env = { ...process.env, ...JSON.parse(process.argv[1]) };
      spawnUntilReady(process.execPath, process.argv[2], { cwd: process.cwd(), env }).then(
        (ms) => console.log(JSON.stringify({ ms })),
        (error) => console.log(JSON.stringify({ error: error.message })),
      );`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script, JSON.stringify({ ...env, STATS: stats }), join(dir, 'fixture.mjs')],
        { cwd: ROOT, timeout: 20_000 },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    const outcome = JSON.parse(stdout) as Outcome;
    if (outcome.error === undefined) outcome.stats = JSON.parse(await readFile(stats, 'utf8'));
    return outcome;
  }

  it('waits for a 200, probing fast once the line is out: 503s after it do not count as ready', async () => {
    const outcome = await probe({ NOT_READY_FIRST: '5' });
    expect(outcome.error).toBeUndefined();
    expect(outcome.stats!.notReadyAnswers).toBe(5);
    expect(outcome.stats!.afterLine).toBe(6);
    // Six probes after the line: at the slow pace that is at least 500 ms, at the fast
    // one a few milliseconds each (the bound leaves a slow machine room).
    expect(outcome.stats!.readyAt - outcome.stats!.saidAt).toBeLessThan(300);
  });

  it('probes slowly until the server says it listens', async () => {
    // 800 ms listening but silent: a probe every 100 ms makes about 8 requests; the
    // old probe, every 2 ms from the spawn, made hundreds.
    const outcome = await probe({ SAY_AFTER_MS: '800' });
    expect(outcome.error).toBeUndefined();
    expect(outcome.stats!.beforeLine).toBeGreaterThanOrEqual(2);
    expect(outcome.stats!.beforeLine).toBeLessThanOrEqual(30);
    expect(outcome.ms).toBeGreaterThanOrEqual(800);
  });

  it('finds a server that never prints the line, by the slow probe', async () => {
    const outcome = await probe({ MODE: 'silent' });
    expect(outcome.error).toBeUndefined();
    expect(outcome.stats!.beforeLine).toBe(1);
    expect(outcome.stats!.afterLine).toBe(0);
  });

  it('rejects when the server exits before it is ready', async () => {
    const outcome = await probe({ MODE: 'exit' });
    expect(outcome.error).toMatch(/exited \(3\) before it was ready/);
  });
});
