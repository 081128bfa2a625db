import { createHash } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nginx } from './support/nginx.js';
import { startServer, type ServerProcess } from './support/server-process.js';

/**
 * A fleet following one manifest (contract section 6): three replicas of the built
 * server poll a manifest that a real nginx serves, under a steady look-up load. The
 * publisher switches the manifest to a new version, then back: every replica follows
 * within the poll interval plus the load time, no request fails, and every answer
 * comes whole from one version (its value and its KV-Dataset-Version header agree).
 */
const KEYS = 2000;
const REPLICAS = 3;
const CONCURRENCY = 6;
const POLL_SECONDS = 1;
const content = (tag: string) => Array.from({ length: KEYS }, (_, i) => `key-${i} ${tag}-${i}\n`).join('');
const V1 = content('one');
const V2 = content('two');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The dataset version is the first 16 hex digits of the file's SHA-256 (docs/data-format.md). */
const VERSION_TAG = new Map([
  [sha256(V1).slice(0, 16), 'one'],
  [sha256(V2).slice(0, 16), 'two'],
]);

interface Tally {
  requests: number;
  failures: string[];
}

describe('a fleet following a manifest (3 × node dist/main.js, nginx)', () => {
  const nginx = new Nginx();
  const replicas: ServerProcess[] = [];
  let downloads: string;
  let agent: Agent;

  const publish = async (name: string, text: string) => {
    await writeFile(join(nginx.root, name), text);
    await writeFile(join(nginx.root, 'current.json.tmp'), JSON.stringify({ url: name, sha256: sha256(text) }));
    await rename(join(nginx.root, 'current.json.tmp'), join(nginx.root, 'current.json'));
  };

  beforeAll(async () => {
    await nginx.start();
    await publish('one.data', V1);
    downloads = await mkdtemp(join(tmpdir(), 'kv-fleet-'));
    for (let i = 0; i < REPLICAS; i++) {
      replicas.push(
        await startServer({
          KV_MANIFEST_URL: `${nginx.baseUrl}/current.json`,
          KV_POLL_INTERVAL: String(POLL_SECONDS),
          KV_DOWNLOAD_DIR: join(downloads, `replica-${i}`),
        }),
      );
    }
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * REPLICAS });
  });
  afterAll(async () => {
    agent?.destroy();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await nginx.stop();
    await rm(downloads, { recursive: true, force: true });
  });

  /** Look-ups spread over the replicas until `stop` resolves; each answer checked for one whole version. */
  const steadyLoad = (stop: Promise<void>): Promise<Tally> => {
    const tally: Tally = { requests: 0, failures: [] };
    let running = true;
    void stop.then(() => (running = false));
    const worker = async (seed: number) => {
      for (let i = seed; running; i += CONCURRENCY) {
        const n = (i * 7919) % KEYS;
        const replica = replicas[i % REPLICAS];
        const { status, body, version } = await get(agent, replica.port, `/keys/key-${n}`);
        tally.requests++;
        const tag = VERSION_TAG.get(version);
        if (status !== 200) tally.failures.push(`${status} ${body}`);
        else if (tag === undefined || body !== `{"key-${n}":"${tag}-${n}"}`) {
          tally.failures.push(`mixed answer: ${body} with version ${version}`);
        }
        // A few hundred requests a second: a steady load, not a benchmark.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    return Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i))).then(() => tally);
  };

  const allServe = async (tag: string, timeoutMs: number): Promise<number> => {
    const startedAt = Date.now();
    for (;;) {
      const answers = await Promise.all(
        replicas.map(async (replica) => (await get(agent, replica.port, '/keys/key-1')).body),
      );
      if (answers.every((body) => body === `{"key-1":"${tag}-1"}`)) return Date.now() - startedAt;
      if (Date.now() - startedAt > timeoutMs) throw new Error(`not every replica serves ${tag}: ${answers.join(' ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('switches every replica to the new version and back, without a failed or mixed answer', async () => {
    let finish!: () => void;
    const load = steadyLoad(new Promise<void>((resolve) => (finish = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Within the poll interval plus its 10% jitter, plus the time a small load takes.
    const bound = POLL_SECONDS * 1100 + 3000;
    await publish('two.data', V2);
    const forward = await allServe('two', bound);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await publish('one.data', V1);
    const back = await allServe('one', bound);
    await new Promise((resolve) => setTimeout(resolve, 500));
    finish();
    const tally = await load;
    console.log(`fleet: ${tally.requests} requests, switch ${forward} ms, rollback ${back} ms`);
    expect(tally.failures).toEqual([]);
    expect(tally.requests).toBeGreaterThan(500);
  }, 60_000);
});

function get(agent: Agent, port: number, path: string): Promise<{ status: number; body: string; version: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, version: String(res.headers['kv-dataset-version'] ?? '') }),
      );
    });
    req.on('error', (error) => resolve({ status: 0, body: error.message, version: '' }));
    req.end();
  });
}
