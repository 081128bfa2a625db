import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/server-process.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('GET /dataset and readiness (inject)', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp('a 1\nb 2\na 3\nbroken\n', { KV_ON_MALFORMED: 'skip' });
  });
  afterAll(() => testApp.close());

  it('describes the serving dataset', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/dataset' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toEqual({
      version: expect.stringMatching(/^[0-9a-f]{16}$/),
      source: testApp.dataFile,
      format: 'text',
      keys: 2,
      bytes: 19,
      lines: 4,
      duplicatesOverridden: 1,
      malformedSkipped: 1,
      loadedAt: expect.any(String),
      loadDurationMs: expect.any(Number),
      lastReload: null,
      lastPoll: null,
    });
    expect(new Date(body.loadedAt).toISOString()).toBe(body.loadedAt);
  });

  it('reports ready with the dataset version and key count', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    const version = (await testApp.app.inject({ method: 'GET', url: '/dataset' })).json().version;
    expect(response.json().details.dataset).toEqual({ status: 'up', version, keys: 2 });
  });

  it('reports live without touching the dataset', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok' });
  });
});

describe('SIGTERM (node dist/main.js over HTTP)', () => {
  let dir: string;
  let dataFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-lifecycle-'));
    dataFile = join(dir, 'data');
    await writeFile(dataFile, 'alpha 1\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('turns readiness 503 at once, keeps serving for KV_SHUTDOWN_DELAY_MS, then exits 0', async () => {
    const delayMs = 1500;
    const server = await startServer({ KV_DATA_FILE_PATH: dataFile, KV_SHUTDOWN_DELAY_MS: String(delayMs) });
    expect((await fetch(`${server.baseUrl}/health/ready`)).status).toBe(200);

    const signalledAt = Date.now();
    const exited = server.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const ready = await fetch(`${server.baseUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('shutting down');
    expect((await fetch(`${server.baseUrl}/health/live`)).status).toBe(200);
    const lookUp = await fetch(`${server.baseUrl}/keys/alpha`);
    expect(lookUp.status).toBe(200);
    expect(await lookUp.json()).toEqual({ alpha: '1' });

    expect(await exited).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(delayMs);
    await expect(fetch(`${server.baseUrl}/health/live`)).rejects.toThrow();
    expect(server.stdout()).toMatch(/Shutdown started[^\n]*"servingForMs":1500/);
    expect(server.stdout()).toMatch(/"msg":"Stopped"/);
  });

  it('cuts the delay short on a second signal', async () => {
    const server = await startServer({ KV_DATA_FILE_PATH: dataFile, KV_SHUTDOWN_DELAY_MS: '60000' });
    const startedAt = Date.now();
    const exited = server.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});
