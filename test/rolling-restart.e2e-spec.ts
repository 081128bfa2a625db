import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { ReadinessProxy } from './support/readiness-proxy.js';
import { ROOT, startServer, type ServerProcess } from './support/server-process.js';

/**
 * A rolling restart without a cluster: three replicas of the built service behind a
 * proxy that routes by readiness, as a Service does, under a steady load of look-ups.
 * Each replica in turn gets SIGTERM (with the shutdown delay the manifests use, scaled
 * down) and is replaced by a new one, as `maxUnavailable: 0` would. Not one request may fail.
 */
const REPLICAS = 3;
const SHUTDOWN_DELAY_MS = 1000;
const CONCURRENCY = 16;

describe('rolling restart of three replicas under load', () => {
  it('fails not one request', async () => {
    const dataFile = join(ROOT, 'data', 'example.data');
    const keys = (await readFile(dataFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .slice(0, 500)
      .map((line) => line.split(' ')[0]);
    const env = { KV_DATA_FILE_PATH: dataFile, KV_SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS) };

    const proxy = new ReadinessProxy(200);
    const replicas: ServerProcess[] = [];
    for (let i = 0; i < REPLICAS; i++) {
      const replica = await startServer(env);
      replicas.push(replica);
      proxy.add(replica.baseUrl);
    }
    await proxy.start();
    await proxy.waitForReady(REPLICAS);

    const counts = { requests: 0, errors: 0, byStatus: new Map<string, number>() };
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let running = true;
    const worker = async (seed: number) => {
      let i = seed;
      while (running) {
        const key = i++ % 10 === 0 ? `missing-${i}` : keys[(i * 7919) % keys.length];
        const outcome = await lookUp(agent, proxy.port, key);
        counts.requests++;
        counts.byStatus.set(outcome, (counts.byStatus.get(outcome) ?? 0) + 1);
        const expected = key.startsWith('missing-') ? '404' : '200';
        if (outcome !== expected) counts.errors++;
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, (_, i) => worker(i * 31));

    try {
      for (let i = 0; i < REPLICAS; i++) {
        // maxSurge 1, maxUnavailable 0: the new replica is ready before the old one goes.
        const replacement = await startServer(env);
        proxy.add(replacement.baseUrl);
        await proxy.waitForReady(REPLICAS + 1);
        const old = replicas[i];
        const exitCode = await old.stop('SIGTERM');
        expect(exitCode).toBe(0);
        proxy.remove(old.baseUrl);
        replicas[i] = replacement;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      await proxy.stop();
      await Promise.all(replicas.map((replica) => replica.stop('SIGINT')));
    }

    const statuses = Object.fromEntries(counts.byStatus);
    console.log(
      `rolling restart: ${counts.requests} requests, ${counts.errors} errors, by outcome ${JSON.stringify(statuses)}`,
    );
    expect(counts.requests).toBeGreaterThan(1000);
    expect(counts.errors).toBe(0);
  }, 60_000);
});

/** One look-up through the proxy; resolves with the status code, or the error's code. */
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
