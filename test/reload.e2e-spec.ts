import { mkdir, mkdtemp, readdir, readlink, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetService } from '../src/dataset/dataset.service.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const TOKEN = 'admin-token-for-tests';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Replaces a file in one step, as deployment tools do. */
async function replaceFile(path: string, content: string): Promise<void> {
  await writeFile(`${path}.tmp`, content);
  await rename(`${path}.tmp`, path);
}

/** Resolves once process `pid` (any of its threads) has `path` open. */
async function openedBy(pid: number, path: string, timeoutMs = 10_000): Promise<void> {
  const target = await realpath(path);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    if (links.includes(target)) return;
    await sleep(1);
  }
  throw new Error(`process ${pid} never had ${path} open within ${timeoutMs} ms`);
}

describe('POST /admin/reload (inject)', () => {
  let testApp: TestApp;
  const reload = (authorization?: string) =>
    testApp.app.inject({ method: 'POST', url: '/admin/reload', headers: authorization ? { authorization } : {} });

  beforeEach(async () => {
    testApp = await startTestApp('alpha 1\n', { KV_ADMIN_TOKEN: TOKEN });
  });
  afterEach(() => testApp.close());

  it('is 404 when no admin token is configured', async () => {
    const plain = await startTestApp('alpha 1\n');
    try {
      const response = await plain.app.inject({
        method: 'POST',
        url: '/admin/reload',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.statusCode).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it.each([[undefined], ['Bearer wrong'], [`Basic ${TOKEN}`], [TOKEN], ['Bearer'], [`Bearer ${TOKEN}x`]])(
    'is 401 with WWW-Authenticate: Bearer for Authorization %p',
    async (authorization) => {
      const response = await reload(authorization);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    },
  );

  // Credentials first: what is wrong with the body is not told to a caller without them.
  const hostileBodies: Array<[string, Record<string, string>, string]> = [
    ['an empty JSON body', { 'content-type': 'application/json' }, ''],
    ['broken JSON', { 'content-type': 'application/json' }, '{"bad'],
    ['an unsupported type', { 'content-type': 'text/plain' }, 'reload please'],
    ['a body over the limit', { 'content-type': 'application/json' }, `"${'x'.repeat(2 * 1024 * 1024)}"`],
  ];
  it.each(hostileBodies)('is 401 before its body is read: %s', async (_case, headers, payload) => {
    const response = await testApp.app.inject({ method: 'POST', url: '/admin/reload', headers, payload });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'A valid admin bearer token is required',
    });
  });

  it.each(hostileBodies)('is 404 when off, whatever its body: %s', async (_case, headers, payload) => {
    const plain = await startTestApp('alpha 1\n');
    try {
      const response = await plain.app.inject({ method: 'POST', url: '/admin/reload', headers, payload });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot POST /admin/reload' });
    } finally {
      await plain.close();
    }
  });

  it('reloads and answers with the outcome and the new dataset once it serves (scheme case-insensitive)', async () => {
    const before = (await testApp.app.inject({ url: '/dataset' })).json();
    await replaceFile(testApp.dataFile, 'alpha 2\nbeta 3\n');
    const response = await reload(`bearer ${TOKEN}`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ outcome: 'success', trigger: 'POST /admin/reload', error: null });
    expect(body.dataset.keys).toBe(2);
    expect(body.dataset.version).not.toBe(before.version);
    expect((await testApp.app.inject({ url: '/keys/alpha' })).json()).toEqual({ alpha: '2' });
    const after = (await testApp.app.inject({ url: '/dataset' })).json();
    expect(after.version).toBe(body.dataset.version);
    expect(after.lastReload).toEqual({ at: body.at, trigger: 'POST /admin/reload', outcome: 'success', error: null });
  });

  it('answers 500 with the load error and changes nothing served when the new file is malformed', async () => {
    const before = (await testApp.app.inject({ url: '/dataset' })).json();
    await replaceFile(testApp.dataFile, 'alpha 9\nlonely\n');
    const response = await reload(`Bearer ${TOKEN}`);
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: expect.stringMatching(/^Reload failed: .*line 2: no space or tab/),
    });
    expect((await testApp.app.inject({ url: '/keys/alpha' })).json()).toEqual({ alpha: '1' });
    const after = (await testApp.app.inject({ url: '/dataset' })).json();
    expect(after.version).toBe(before.version);
    expect(after.lastReload).toMatchObject({ outcome: 'failure', error: expect.stringContaining('malformed') });
  });

  it('never overlaps reloads: asked three times at once, it loads twice (one after the running one)', async () => {
    const loader = testApp.app.get(DatasetService);
    const load = jest.spyOn(loader as unknown as { load: () => Promise<unknown> }, 'load');
    const results = await Promise.all([loader.reload('a'), loader.reload('b'), loader.reload('c')]);
    expect(load).toHaveBeenCalledTimes(2);
    expect(results.map((result) => result.trigger)).toEqual(['a', 'b', 'b']);
    expect(results.every((result) => result.outcome === 'success')).toBe(true);
  });
});

describe('reload triggers (node dist/main.js)', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-reload-'));
  });
  afterEach(async () => {
    await server?.stop('SIGINT');
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const valueOf = async (key: string) =>
    ((await (await fetch(`${server!.baseUrl}/keys/${key}`)).json()) as Record<string, string>)[key];
  const reloadsLogged = () =>
    server!
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"msg":"Reload succeeded"')).length;
  const waitFor = async (predicate: () => Promise<boolean> | boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await sleep(50);
    }
  };

  it('reloads on SIGHUP', async () => {
    const file = join(dir, 'data');
    await writeFile(file, 'alpha 1\n');
    server = await startServer({ KV_DATA_FILE_PATH: file });
    await replaceFile(file, 'alpha 2\n');
    server.child.kill('SIGHUP');
    await waitFor(async () => (await valueOf('alpha')) === '2');
    expect(server.stdout()).toContain('"trigger":"SIGHUP"');
  });

  it('with KV_WATCH=true, reloads once when the file is replaced', async () => {
    const file = join(dir, 'data');
    await writeFile(file, 'alpha 1\n');
    server = await startServer({ KV_DATA_FILE_PATH: file, KV_WATCH: 'true' });
    await replaceFile(file, 'alpha 2\n');
    await waitFor(async () => (await valueOf('alpha')) === '2');
    await sleep(800);
    expect(reloadsLogged()).toBe(1);
  });

  it('with KV_WATCH=true, reloads a file replaced while the server starts, after the first load opened it', async () => {
    const file = join(dir, 'data');
    // Large enough to stay open a while (the load reads ~50 MB), so the replacement
    // surely comes after the load opened it and long before the watcher is made.
    const filler = Array.from({ length: 3_000_000 }, (_, i) => `filler-${i} x`).join('\n');
    await writeFile(file, `${filler}\nalpha 1\n`);
    let replaced: Promise<void> | undefined;
    server = await startServer({ KV_DATA_FILE_PATH: file, KV_WATCH: 'true' }, 20_000, [], process.execPath, (child) => {
      replaced = openedBy(child.pid!, file).then(() => replaceFile(file, 'alpha 2\n'));
      replaced.catch(() => undefined);
    });
    await replaced;
    await waitFor(async () => (await valueOf('alpha')) === '2');
  });

  it('with KV_WATCH=true, reloads exactly once for a ConfigMap-style ..data symlink swap', async () => {
    // The kubelet's layout: data -> ..data/data, ..data -> ..<timestamp>/ (a directory).
    const mount = join(dir, 'mount');
    await mkdir(join(mount, '..2026_01_01_00_00_00.000000001'), { recursive: true });
    await writeFile(join(mount, '..2026_01_01_00_00_00.000000001', 'data'), 'alpha 1\n');
    await symlink('..2026_01_01_00_00_00.000000001', join(mount, '..data'));
    await symlink('..data/data', join(mount, 'data'));
    server = await startServer({ KV_DATA_FILE_PATH: join(mount, 'data'), KV_WATCH: 'true' });
    expect(await valueOf('alpha')).toBe('1');

    // An update: a new dated directory, a temporary link renamed over ..data, the old directory removed.
    await mkdir(join(mount, '..2026_01_02_00_00_00.000000002'));
    await writeFile(join(mount, '..2026_01_02_00_00_00.000000002', 'data'), 'alpha 2\n');
    await symlink('..2026_01_02_00_00_00.000000002', join(mount, '..data_tmp'));
    await rename(join(mount, '..data_tmp'), join(mount, '..data'));
    await rm(join(mount, '..2026_01_01_00_00_00.000000001'), { recursive: true });

    await waitFor(async () => (await valueOf('alpha')) === '2');
    await sleep(800);
    expect(reloadsLogged()).toBe(1);
  });
});
