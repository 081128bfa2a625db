import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/haproxy.js';
import { Nginx } from './support/nginx.js';
import { sha256, V1, V2 } from './support/remote-data.js';
import { waitForValue as waitFor } from './support/wait.js';
import { runToExit, startServer, type ServerProcess } from './support/server-process.js';

/**
 * The remote sources of section 6 against the built server and a real nginx: start-up
 * from a URL and from a manifest, every start-up failure, and polls (unchanged,
 * updated, failed) observed through nginx's access log, /dataset and /metrics.
 */
describe('remote sources (node dist/main.js, nginx)', () => {
  const nginx = new Nginx();
  let downloads: string;
  let server: ServerProcess | undefined;

  /** Writes the data file, then the manifest (by rename), as a publisher does. */
  const publish = async (name: string, content: string, manifest = 'current.json') => {
    await writeFile(join(nginx.root, name), content);
    await writeFile(join(nginx.root, `${manifest}.tmp`), JSON.stringify({ url: name, sha256: sha256(content) }));
    await rename(join(nginx.root, `${manifest}.tmp`), join(nginx.root, manifest));
  };
  const value = async (key: string) =>
    ((await (await fetch(`${server!.baseUrl}/keys/${key}`)).json()) as Record<string, string>)[key];
  const report = async () =>
    (await (await fetch(`${server!.baseUrl}/dataset`)).json()) as {
      source: string;
      version: string;
      lastPoll: { outcome: string; error: string | null } | null;
      lastReload: { outcome: string; trigger: string } | null;
    };

  beforeAll(() => nginx.start());
  afterAll(() => nginx.stop());
  beforeEach(async () => {
    downloads = await mkdtemp(join(tmpdir(), 'kv-downloads-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await rm(downloads, { recursive: true, force: true });
  });

  it('starts from a URL, checks its SHA-256, and never shows or logs the query string', async () => {
    await writeFile(join(nginx.root, 'url.data'), V1);
    server = await startServer({
      KV_DATA_URL: `${nginx.baseUrl}/url.data?signature=very-secret`,
      KV_DATA_SHA256: sha256(V1),
      KV_DOWNLOAD_DIR: downloads,
    });
    expect(await value('colour')).toBe('blue');
    expect((await report()).source).toBe(`${nginx.baseUrl}/url.data`);
    expect(server.stdout()).not.toContain('very-secret');
    expect(await readdir(downloads)).toEqual([`kv-${sha256(V1)}.download`]);
  });

  it('starts from a manifest reached through a redirect, its relative url resolved against it', async () => {
    await publish('v1.data', V1);
    const authFile = join(downloads, 'auth');
    await writeFile(authFile, 'Bearer rotated-token\n');
    server = await startServer({
      KV_MANIFEST_URL: `${nginx.baseUrl}/moved/current.json`,
      KV_DOWNLOAD_DIR: downloads,
      KV_DATA_AUTH_FILE: authFile,
    });
    expect(await value('shape')).toBe('round');
    expect(await report()).toMatchObject({ source: `${nginx.baseUrl}/v1.data`, lastPoll: null });
    expect(server.stdout()).not.toContain('rotated-token');
  });

  describe('a source that fails at start-up: one line on stderr, exit 1, nothing left behind', () => {
    let silent: Server;
    let silentPort: number;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Accepts, sends a head and a little of the body, then nothing: a stalled server.
      silent = createServer((socket) => {
        sockets.push(socket);
        socket.on('error', () => undefined);
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\ncolour bl');
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentPort = (silent.address() as { port: number }).port;
      await writeFile(join(nginx.root, 'fail.data'), V1);
      await writeFile(join(nginx.root, 'not-json.json'), '{"url": "fail.data",');
      await writeFile(join(nginx.root, 'no-sha.json'), JSON.stringify({ url: 'fail.data' }));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it.each([
      [
        'a wrong checksum',
        { KV_DATA_URL: '/fail.data', KV_DATA_SHA256: 'ab'.repeat(32) },
        /has SHA-256 [0-9a-f]{64}, not the expected abab/,
      ],
      [
        'a 404',
        { KV_DATA_URL: '/status/404' },
        /GET http:\/\/127\.0\.0\.1:\d+\/status\/404 answered 404 Not Found, not 2xx/,
      ],
      ['a 500', { KV_MANIFEST_URL: '/status/500' }, /answered 500 Internal Server Error, not 2xx/],
      ['a refused connection', { KV_DATA_URL: 'REFUSED' }, /failed: connection refused \(ECONNREFUSED\)/],
      ['a server that stops sending', { KV_DATA_URL: 'SILENT' }, /received nothing for 0\.5 s and was abandoned/],
      ['nginx sending one byte a second', { KV_DATA_URL: '/slow/fail.data' }, /received nothing for 0\.5 s/],
      [
        'a manifest that is not JSON',
        { KV_MANIFEST_URL: '/not-json.json' },
        /The manifest .*not-json\.json is not JSON/,
      ],
      [
        'a manifest without sha256',
        { KV_MANIFEST_URL: '/no-sha.json' },
        /"sha256" is missing, expected the data file's SHA-256/,
      ],
    ])('%s', async (_name, env, expected) => {
      const refused = await freePort();
      const resolved = Object.fromEntries(
        Object.entries(env).map(([name, url]) => [
          name,
          url === 'REFUSED'
            ? `http://127.0.0.1:${refused}/x.data`
            : url === 'SILENT'
              ? `http://127.0.0.1:${silentPort}/x.data`
              : url.startsWith('/')
                ? `${nginx.baseUrl}${url}`
                : url,
        ]),
      );
      const exit = await runToExit({ ...resolved, KV_DOWNLOAD_DIR: downloads, KV_TEST_STALL_TIMEOUT_MS: '500' });
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/^kv-server: .*\n$/);
      expect(exit.stderr).toMatch(expected);
      expect(exit.stderr).not.toMatch(/\n\s+at /);
      expect(await readdir(downloads)).toEqual([]);
    });
  });

  it('polls with conditional requests: unchanged costs one 304, a change reloads, a failure keeps the data', async () => {
    await publish('p1.data', V1, 'poll.json');
    server = await startServer({
      KV_MANIFEST_URL: `${nginx.baseUrl}/poll.json`,
      KV_POLL_INTERVAL: '1',
      KV_DOWNLOAD_DIR: downloads,
    });
    const manifestRequests = async () => (await nginx.accessLog()).filter((line) => line.includes('/poll.json'));
    await waitFor('two polls', async () => ((await manifestRequests()).length >= 3 ? true : undefined));
    const [first, ...polls] = await manifestRequests();
    expect(first).toMatch(/^GET \/poll\.json 200 "-" "-"$/);
    for (const poll of polls) expect(poll).toMatch(/^GET \/poll\.json 304 ".+-.+" ".+ GMT"$/);
    expect((await nginx.accessLog()).filter((line) => line.includes('p1.data'))).toHaveLength(1);
    expect(server.stdout()).not.toContain('Reload started');
    expect((await report()).lastPoll).toMatchObject({ outcome: 'unchanged', error: null });

    const before = (await report()).version;
    await publish('p2.data', V2, 'poll.json');
    await waitFor('the new version', async () => ((await value('colour')) === 'green' ? true : undefined));
    expect(await report()).toMatchObject({ lastPoll: { outcome: 'updated' }, lastReload: { trigger: 'poll' } });
    const after = (await report()).version;
    expect(server.stdout()).toContain(`Dataset version changed from ${before} to ${after}`);
    expect(await readdir(downloads)).toEqual([`kv-${sha256(V2)}.download`]);

    await writeFile(join(nginx.root, 'poll.json'), 'not json at all');
    await waitFor('a failed poll', async () => ((await report()).lastPoll?.outcome === 'failure' ? true : undefined));
    expect((await report()).lastPoll?.error).toMatch(/poll\.json is not JSON/);
    expect(await value('colour')).toBe('green');
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/kv_polls_total\{outcome="unchanged"\} [1-9]/);
    expect(metrics).toMatch(/kv_polls_total\{outcome="updated"\} 1\n/);
    expect(metrics).toMatch(/kv_polls_total\{outcome="failure"\} [1-9]/);
    expect(metrics).toContain(`kv_download_bytes_total ${V1.length + V2.length}\n`);

    await publish('p1.data', V1, 'poll.json');
    await waitFor('the rollback', async () => ((await value('colour')) === 'blue' ? true : undefined));
    expect(await readdir(downloads)).toEqual([`kv-${sha256(V1)}.download`]);
  });

  it('a server without ETags answers the poll 304 by date, and SIGHUP re-checks at once', async () => {
    await publish('d1.data', V1, 'dated.json');
    server = await startServer({ KV_MANIFEST_URL: `${nginx.baseUrl}/no-etag/dated.json`, KV_DOWNLOAD_DIR: downloads });
    server.child.kill('SIGHUP');
    await waitFor('the re-check', async () => ((await report()).lastPoll?.outcome === 'unchanged' ? true : undefined));
    const requests = (await nginx.accessLog()).filter((line) => line.includes('/no-etag/dated.json'));
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatch(/^GET \/no-etag\/dated\.json 304 "-" ".+ GMT"$/);
  });

  it('a file changed in place while it downloads fails its checksum, keeps the old data, and the next poll retries', async () => {
    const big = (tag: string) => Array.from({ length: 700 }, (_, i) => `k${i} ${tag}-${i}\n`).join('');
    const [old, published, overwritten] = [big('old'), big('new'), big('bad')];
    await publish('inplace-1.data', old, 'inplace.json');
    const manifest = join(nginx.root, 'inplace.json');
    server = await startServer({ KV_MANIFEST_URL: `${nginx.baseUrl}/inplace.json`, KV_DOWNLOAD_DIR: downloads });
    // ~9 KiB at 4 KiB/s, read 1 KiB at a time: the rewrite lands while nginx is still sending.
    await writeFile(join(nginx.root, 'inplace-2.data'), published);
    await writeFile(manifest, JSON.stringify({ url: 'throttled/inplace-2.data', sha256: sha256(published) }));
    server.child.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await writeFile(join(nginx.root, 'inplace-2.data'), overwritten);
    await waitFor('the failed check', async () =>
      (await report()).lastPoll?.outcome === 'failure' ? true : undefined,
    );
    expect((await report()).lastPoll?.error).toMatch(/the file changed while it was read, or the checksum is wrong/);
    expect(await value('k1')).toBe('old-1');
    expect(await readdir(downloads)).toEqual([`kv-${sha256(old)}.download`]);

    await writeFile(join(nginx.root, 'inplace-2.data'), published);
    server.child.kill('SIGHUP');
    await waitFor('the retry', async () => ((await value('k1')) === 'new-1' ? true : undefined));
  });
});
