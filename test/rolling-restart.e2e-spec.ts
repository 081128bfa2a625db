import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { HAProxy } from './support/haproxy.js';
import { ROOT, startServer, type ServerProcess } from './support/server-process.js';

/**
 * A rolling restart without a cluster: three replicas of the built service behind a
 * real HAProxy that health-checks /health/ready, under a steady load of keep-alive
 * look-ups. As a Deployment with maxSurge 1 and maxUnavailable 0 does, each replica in
 * turn is replaced: a new one starts, joins the load balancer once it serves, and the
 * old one gets SIGTERM. HAProxy learns that the old one is going only from its
 * checks (readiness turns 503 at SIGTERM; the app keeps serving for the shutdown
 * delay), and the server is deleted once the process has exited. HAProxy does not
 * retry, so not one request may fail. The numbers are printed for the record.
 */
const REPLICAS = 3;
const CONCURRENCY = 16;
/**
 * Paced rather than as fast as possible: a steady load a cluster would see, which
 * leaves the machine's two cores room to start the new replicas (and the other tests
 * room to run) instead of saturating them.
 */
const REQUESTS_PER_SECOND = 2000;
/** As in the manifests, scaled down: the checks notice the 503 well within the delay. */
const CHECK = { path: '/health/ready', intervalMs: 250, fall: 2, rise: 1 };
const SHUTDOWN_DELAY_MS = 1500;

describe('rolling restart of three replicas behind HAProxy, under load', () => {
  it('fails not one request', async () => {
    const dataFile = join(ROOT, 'data', 'example.data');
    const keys = (await readFile(dataFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .slice(0, 500)
      .map((line) => line.split(' ')[0]);
    const env = { KV_DATA_FILE_PATH: dataFile, KV_SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS) };
    expect(CHECK.intervalMs * CHECK.fall).toBeLessThan(SHUTDOWN_DELAY_MS / 2);

    const haproxy = new HAProxy(CHECK);
    await haproxy.start();
    const replicas: { name: string; server: ServerProcess }[] = [];
    /** Every process started, so that a failure half-way leaves none behind. */
    const started: ServerProcess[] = [];
    const counts = { requests: 0, failures: 0, byOutcome: new Map<string, number>() };
    const latenciesMs: number[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let running = true;
    let workers: Promise<void>[] = [];
    const served: Record<string, number> = {};
    let generation = 0;
    let loadStartedAt = 0;
    let loadSeconds: number;
    try {
      const join = async () => {
        const name = `replica-${generation++}`;
        const server = await startServer(env);
        started.push(server);
        // The port opens once the dataset is loaded: the pod is ready, its endpoint appears.
        await haproxy.addServer(name, server.port);
        await haproxy.waitForStatus(name, 'UP');
        return { name, server };
      };
      for (let i = 0; i < REPLICAS; i++) replicas.push(await join());

      const worker = async (seed: number) => {
        let i = seed * 31;
        const spacingMs = (CONCURRENCY * 1000) / REQUESTS_PER_SECOND;
        let due = performance.now() + seed * (spacingMs / CONCURRENCY);
        while (running) {
          due += spacingMs;
          const key = i++ % 10 === 0 ? `missing-${i}` : keys[(i * 7919) % keys.length];
          const sentAt = process.hrtime.bigint();
          const outcome = await lookUp(agent, haproxy.port, key);
          latenciesMs.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
          counts.requests++;
          counts.byOutcome.set(outcome, (counts.byOutcome.get(outcome) ?? 0) + 1);
          if (outcome !== (key.startsWith('missing-') ? '404' : '200')) counts.failures++;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      };
      loadStartedAt = performance.now();
      workers = Array.from({ length: CONCURRENCY }, (_, i) => worker(i));
      await new Promise((resolve) => setTimeout(resolve, 500));

      for (let i = 0; i < REPLICAS; i++) {
        const replacement = await join();
        const old = replicas[i];
        served[old.name] = (await haproxy.servers()).get(old.name)?.served ?? 0;
        expect(await old.server.stop('SIGTERM')).toBe(0);
        // By the time it has exited, HAProxy's checks have taken it out on their own.
        expect((await haproxy.servers()).get(old.name)?.status).toMatch(/^DOWN/);
        await haproxy.removeServer(old.name);
        replicas[i] = replacement;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      running = false;
      await Promise.all(workers);
      loadSeconds = (performance.now() - loadStartedAt) / 1000;
      agent.destroy();
      await haproxy.stop();
      await Promise.all(started.map((server) => server.stop('SIGINT')));
    }

    latenciesMs.sort((a, b) => a - b);
    const at = (q: number) => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(q * latenciesMs.length))];
    const outcomes = JSON.stringify(Object.fromEntries(counts.byOutcome));
    console.log(
      `rolling restart behind HAProxy: ${counts.requests} requests in ${loadSeconds.toFixed(1)} s ` +
        `(${Math.round(counts.requests / loadSeconds)}/s), ${counts.failures} failed, ` +
        `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, max ${at(1).toFixed(2)} ms; ` +
        `by outcome ${outcomes}; served by each replaced replica ${JSON.stringify(served)}`,
    );
    expect(counts.requests).toBeGreaterThan(1000);
    // Every replaced replica took its share of the load before it went.
    for (const count of Object.values(served)) expect(count).toBeGreaterThan(0);
    expect(counts.failures).toBe(0);
  }, 90_000);
});

/** One look-up through the load balancer; resolves with the status code, or the error's code. */
function lookUp(agent: Agent, port: number, key: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: `/keys/${encodeURIComponent(key)}`, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'response error'));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}
