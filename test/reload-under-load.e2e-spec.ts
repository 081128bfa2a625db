import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from './support/server-process.js';

/**
 * Reloads while a steady stream of look-ups runs against a real server. Two files
 * disagree on every value, so each answer shows which dataset served it: every answer
 * must come whole from one file or the other, and none may fail.
 */
const KEYS = 2000;
const RELOADS = 20;
const CONCURRENCY = 8;
const TOKEN = 'reload-under-load';
const fileA = Array.from({ length: KEYS }, (_, i) => `key-${i} a-${i}\n`).join('');
const fileB = Array.from({ length: KEYS }, (_, i) => `key-${i} b-${i}\n`).join('');

interface Tally {
  requests: number;
  failures: string[];
  fromA: number;
  fromB: number;
}

describe('reloads under load (node dist/main.js)', () => {
  let dir: string;
  let dataFile: string;
  let server: ServerProcess;
  let agent: Agent;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-reload-load-'));
    dataFile = join(dir, 'data');
    await writeFile(dataFile, fileA);
    server = await startServer({ KV_DATA_FILE_PATH: dataFile, KV_ADMIN_TOKEN: TOKEN });
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY + 2 });
  });
  afterEach(async () => {
    agent.destroy();
    await server.stop('SIGINT');
    await rm(dir, { recursive: true, force: true });
  });

  const replaceWith = async (content: string) => {
    await writeFile(`${dataFile}.tmp`, content);
    await rename(`${dataFile}.tmp`, dataFile);
  };
  const reload = () =>
    fetch(`${server.baseUrl}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });

  /** Runs look-ups until `stop` resolves; checks each answer against both files. */
  const steadyLoad = (stop: Promise<void>): Promise<Tally> => {
    const tally: Tally = { requests: 0, failures: [], fromA: 0, fromB: 0 };
    let running = true;
    void stop.then(() => (running = false));
    const worker = async (seed: number) => {
      for (let i = seed; running; i += CONCURRENCY) {
        const n = (i * 7919) % KEYS;
        const { status, body } = await get(agent, server.port, `/keys/key-${n}`);
        tally.requests++;
        if (status !== 200) tally.failures.push(`${status} ${body}`);
        else if (body === `{"key-${n}":"a-${n}"}`) tally.fromA++;
        else if (body === `{"key-${n}":"b-${n}"}`) tally.fromB++;
        else tally.failures.push(`mixed or wrong answer: ${body}`);
      }
    };
    return Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i))).then(() => tally);
  };

  it('serves every request from one whole dataset or the other, through 20 reloads, ending on the last', async () => {
    let finish!: () => void;
    const load = steadyLoad(new Promise<void>((resolve) => (finish = resolve)));
    const versions: string[] = [];
    for (let i = 1; i <= RELOADS; i++) {
      await replaceWith(i % 2 === 1 ? fileB : fileA);
      const response = await reload();
      expect(response.status).toBe(200);
      versions.push(((await response.json()) as { dataset: { version: string } }).dataset.version);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    finish();
    const tally = await load;
    console.log(
      `reload under load: ${tally.requests} requests, ${tally.failures.length} failures, A ${tally.fromA}, B ${tally.fromB}`,
    );
    expect(tally.failures).toEqual([]);
    expect(tally.fromA).toBeGreaterThan(0);
    expect(tally.fromB).toBeGreaterThan(0);
    // The last reload (the 20th) loaded file A: the served version is A's.
    expect(new Set(versions).size).toBe(2);
    const served = (await (await fetch(`${server.baseUrl}/dataset`)).json()) as { version: string };
    expect(served.version).toBe(versions[RELOADS - 1]);
    expect(await (await fetch(`${server.baseUrl}/keys/key-7`)).json()).toEqual({ 'key-7': 'a-7' });
  }, 60_000);

  it('keeps serving the old data, without a failed request, when the new file is malformed', async () => {
    let finish!: () => void;
    const load = steadyLoad(new Promise<void>((resolve) => (finish = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await replaceWith(`${fileB}not-a-valid-line\n`);
    const response = await reload();
    expect(response.status).toBe(500);
    await new Promise((resolve) => setTimeout(resolve, 200));
    finish();
    const tally = await load;
    expect(tally.failures).toEqual([]);
    expect(tally.fromB).toBe(0);
    expect(tally.fromA).toBe(tally.requests);
    expect(tally.requests).toBeGreaterThan(100);
  }, 30_000);
});

function get(agent: Agent, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    req.end();
  });
}
