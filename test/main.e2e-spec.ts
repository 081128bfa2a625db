import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit, startServer } from './support/server-process.js';

/**
 * Runs the production build (`node dist/main.js`, native ESM on this Node) as an
 * operator would, over real HTTP: the other e2e tests run the sources through Jest's
 * CommonJS transform, so only this file proves the shipped artefact works.
 */
describe('node dist/main.js', () => {
  let dir: string;
  let dataFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-main-'));
    dataFile = join(dir, 'good.data');
    await writeFile(dataFile, 'alpha 1\nspaced  two words \r\ncafé au lait\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('serves look-ups and health over HTTP, and exits 0 on SIGTERM', async () => {
    const server = await startServer({ KV_DATA_FILE_PATH: dataFile });
    try {
      const ready = await fetch(`${server.baseUrl}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok' });

      const hit = await fetch(`${server.baseUrl}/keys/caf%C3%A9`);
      expect(hit.status).toBe(200);
      expect(await hit.json()).toEqual({ café: 'au lait' });

      const raw = await fetch(`${server.baseUrl}/key/spaced`, { headers: { accept: 'text/plain' } });
      expect(await raw.text()).toBe(' two words ');

      const miss = await fetch(`${server.baseUrl}/keys/nope`);
      expect(miss.status).toBe(404);
      expect(await miss.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'Key not found' });

      const keepAlive = (await fetch(`${server.baseUrl}/health/live`)).headers.get('keep-alive');
      expect(keepAlive).toMatch(/timeout=(6[1-9]|[7-9]\d|\d{3,})/);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.stderr()).toBe('');
  });

  it('logs JSON lines with the dataset summary and start-up time', async () => {
    const server = await startServer({ KV_DATA_FILE_PATH: dataFile });
    await server.stop();
    const lines = server
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const loaded = lines.find((line) => line.msg === 'Dataset loaded');
    expect(loaded.dataset).toMatchObject({
      keys: 3,
      source: dataFile,
      version: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const listening = lines.find((line) => String(line.msg).startsWith('kv-server listening'));
    expect(listening.startupMs).toBeGreaterThanOrEqual(0);
  });

  const expectCleanFailure = (exit: { code: number | null; stderr: string }, ...mentions: (string | RegExp)[]) => {
    expect(exit.code).toBe(1);
    const lines = exit.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(exit.stderr).not.toMatch(/\n\s+at /);
    for (const mention of mentions) expect(exit.stderr).toMatch(mention);
  };

  it.each([
    [{ PORT: 'eighty' }, 'PORT', /integer from 0 to 65535/],
    [{ PORT: '70000' }, 'PORT', /integer/],
    [{ KV_ON_MALFORMED: 'ignore' }, 'KV_ON_MALFORMED', /"fail" or "skip"/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of fatal/],
  ])('refuses a bad environment %p with one clear line on stderr', async (env, variable, accepted) => {
    const exit = await runToExit({ KV_DATA_FILE_PATH: dataFile, ...env });
    expectCleanFailure(exit, variable, accepted);
  });

  it('refuses a missing data file, naming the path and the cause', async () => {
    const missing = join(dir, 'missing.data');
    expectCleanFailure(await runToExit({ KV_DATA_FILE_PATH: missing }), missing, /no such file/);
  });

  it('refuses a malformed data file with line numbers and reasons', async () => {
    const bad = join(dir, 'bad.data');
    await writeFile(bad, 'ok 1\nlonely\n leading\nfine 2\n');
    expectCleanFailure(
      await runToExit({ KV_DATA_FILE_PATH: bad }),
      bad,
      /2 malformed lines/,
      /line 2: no space or tab/,
      /line 3: empty key/,
    );
  });

  it('starts on a malformed data file with KV_ON_MALFORMED=skip', async () => {
    const bad = join(dir, 'skip.data');
    await writeFile(bad, 'ok 1\nlonely\n');
    const server = await startServer({ KV_DATA_FILE_PATH: bad, KV_ON_MALFORMED: 'skip' });
    try {
      expect((await fetch(`${server.baseUrl}/keys/ok`)).status).toBe(200);
    } finally {
      await server.stop();
    }
    expect(server.stdout()).toMatch(/Skipped malformed line 2/);
  });

  it('exits with a clear message when the port is in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const exit = await runToExit({ KV_DATA_FILE_PATH: dataFile, PORT: String(port) });
      expectCleanFailure(exit, String(port), /already in use/);
    } finally {
      blocker.close();
    }
  });
});
