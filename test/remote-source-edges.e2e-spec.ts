import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nginx } from './support/nginx.js';
import { sha256, V1, V2 } from './support/remote-data.js';
import { waitForValue as waitFor } from './support/wait.js';
import { MAIN, ROOT, runToExit, startServer, type ServerProcess } from './support/server-process.js';

/**
 * The edges of the remote sources (docs/remote-sources.md) that a user found: secrets
 * in URLs, what an earlier run left behind, a server that ignores conditional requests,
 * an answer without a body, signals during the start-up download, error messages.
 */
describe('remote sources, edge cases (node dist/main.js, nginx)', () => {
  const nginx = new Nginx();
  let downloads: string;
  let server: ServerProcess | undefined;

  const manifest = async (name: string, body: unknown) => {
    await writeFile(join(nginx.root, `${name}.tmp`), JSON.stringify(body));
    await rename(join(nginx.root, `${name}.tmp`), join(nginx.root, name));
  };
  const report = async () =>
    (await (await fetch(`${server!.baseUrl}/dataset`)).json()) as {
      version: string;
      lastPoll: { outcome: string; error: string | null } | null;
    };
  const metrics = async () => (await fetch(`${server!.baseUrl}/metrics`)).text();

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

  it('never shows the password or signature of a URL that fetch refuses, in /dataset or the log', async () => {
    await writeFile(join(nginx.root, 'e1.data'), V1);
    await manifest('secret.json', { url: 'e1.data', sha256: sha256(V1) });
    server = await startServer({ KV_MANIFEST_URL: `${nginx.baseUrl}/secret.json`, KV_DOWNLOAD_DIR: downloads });
    const hostile = `http://svc:P4SSW0RD@127.0.0.1:${nginx.port}/e1.data?X-Amz-Signature=LEAK9`;
    await manifest('secret.json', { url: hostile, sha256: sha256(V2) });
    server.child.kill('SIGHUP');
    const poll = await waitFor('the failed check', async () => {
      const { lastPoll } = await report();
      return lastPoll?.outcome === 'failure' ? lastPoll : undefined;
    });
    expect(poll.error).toContain(`"url" "http://127.0.0.1:${nginx.port}/e1.data" cannot be downloaded`);
    expect(poll.error).toContain('user:password@');
    expect(`${poll.error}${server.stdout()}${server.stderr()}`).not.toMatch(/P4SSW0RD|LEAK9/);
  });

  it('names the URL, not the temporary download, when the downloaded file is refused', async () => {
    const malformed = 'good value\nlonely\n';
    await writeFile(join(nginx.root, 'malformed.data'), malformed);
    await manifest('malformed.json', { url: 'malformed.data', sha256: sha256(malformed) });
    const exit = await runToExit({ KV_MANIFEST_URL: `${nginx.baseUrl}/malformed.json`, KV_DOWNLOAD_DIR: downloads });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain(`Data file "${nginx.baseUrl}/malformed.data" has 1 malformed line`);
    expect(exit.stderr).not.toContain(downloads);
    expect(await readdir(downloads)).toEqual([]);
  });

  it.each([
    ['a file', '', 'a file, not a directory, is in the way (EEXIST)'],
    ['a path through a file', 'sub', 'a part of the path is not a directory (ENOTDIR)'],
  ])('refuses a KV_DOWNLOAD_DIR that is %s, in words, at start-up', async (_case, below, why) => {
    await writeFile(join(nginx.root, 'e1.data'), V1);
    const file = join(downloads, 'not-a-directory');
    await writeFile(file, 'x');
    const dir = below ? join(file, below) : file;
    const exit = await runToExit({ KV_DATA_URL: `${nginx.baseUrl}/e1.data`, KV_DOWNLOAD_DIR: dir });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toBe(`kv-server: Cannot write the download of ${nginx.baseUrl}/e1.data into ${dir}: ${why}\n`);
  });

  it('refuses an empty (204) manifest with a message about the manifest', async () => {
    const exit = await runToExit({ KV_MANIFEST_URL: `${nginx.baseUrl}/status/204`, KV_DOWNLOAD_DIR: downloads });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/^kv-server: The manifest http:\/\/127\.0\.0\.1:\d+\/status\/204 is not JSON/);
    expect(exit.stderr).not.toContain('ReadableStream');
  });

  it('removes what an earlier run left behind, but not what is young enough to be in use', async () => {
    const stale = ['.kv-download-0b6e3c4a-1f7d-4f39-9a53-2f8c58d1e1aa.part', `kv-${'a'.repeat(64)}.download`];
    const young = [`.kv-download-9c1f3e2d-aaaa-4bbb-8ccc-123456789abc.part`, `kv-${'b'.repeat(64)}.download`];
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const name of stale) {
      await writeFile(join(downloads, name), 'left behind');
      await utimes(join(downloads, name), hourAgo, hourAgo);
    }
    for (const name of [...young, 'unrelated.txt']) await writeFile(join(downloads, name), 'in use');
    await utimes(join(downloads, 'unrelated.txt'), hourAgo, hourAgo);
    await writeFile(join(nginx.root, 'fresh.data'), V1);
    server = await startServer({ KV_DATA_URL: `${nginx.baseUrl}/fresh.data`, KV_DOWNLOAD_DIR: downloads });
    expect((await readdir(downloads)).sort()).toEqual([...young, `kv-${sha256(V1)}.download`, 'unrelated.txt'].sort());
  });

  it('a server ignoring conditional requests: the same ETag costs no download, a new one reloads', async () => {
    await writeFile(join(nginx.root, 'same.data'), V1);
    server = await startServer({
      KV_DATA_URL: `${nginx.baseUrl}/unconditional/same.data`,
      KV_POLL_INTERVAL: '1',
      KV_DOWNLOAD_DIR: downloads,
    });
    const requests = async () => (await nginx.accessLog()).filter((line) => line.includes('/unconditional/same.data'));
    await waitFor('two polls', async () => ((await requests()).length >= 3 ? true : undefined));
    // nginx sent the whole file each time (200): the poll read only its head.
    for (const poll of (await requests()).slice(1)) expect(poll).toMatch(/^GET \/unconditional\/same\.data 200 ".+"/);
    expect(await metrics()).toContain(`kv_download_bytes_total ${V1.length}\n`);
    expect((await report()).lastPoll).toMatchObject({ outcome: 'unchanged' });

    await writeFile(join(nginx.root, 'same.data'), V2);
    await waitFor('the new version', async () =>
      (await metrics()).includes(`kv_download_bytes_total ${V1.length + V2.length}\n`) ? true : undefined,
    );
    await waitFor('the reload', async () => ((await report()).lastPoll?.outcome === 'updated' ? true : undefined));
  });

  it('keeps the last download duration across 304 polls', async () => {
    const big = Array.from({ length: 300 }, (_, i) => `k${i} value-${i}\n`).join('');
    await writeFile(join(nginx.root, 'timed.data'), big);
    // About 4 KiB a second: the download takes over a second.
    server = await startServer({ KV_DATA_URL: `${nginx.baseUrl}/throttled/timed.data`, KV_DOWNLOAD_DIR: downloads });
    const duration = async () => Number(/^kv_download_duration_seconds (\S+)$/m.exec(await metrics())?.[1]);
    expect(await duration()).toBeGreaterThan(0.5);
    server.child.kill('SIGHUP');
    await waitFor('the 304', async () => ((await report()).lastPoll?.outcome === 'unchanged' ? true : undefined));
    expect(await duration()).toBeGreaterThan(0.5);
  });

  /**
   * The server on a throttled download of `lines` lines, once that download has begun:
   * startServer resolves only once the port is open, and these tests need the process before.
   */
  const duringStartUpDownload = async (name: string, lines: number) => {
    await writeFile(join(nginx.root, name), Array.from({ length: lines }, (_, i) => `k${i} value-${i}\n`).join(''));
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        KV_DOWNLOAD_DIR: downloads,
        KV_DATA_URL: `${nginx.baseUrl}/throttled/${name}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the download to begin', async () =>
        (await readdir(downloads)).some((entry) => entry.endsWith('.part')) ? true : undefined,
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return { child, exited, stdout: () => stdout };
  };

  it('a SIGHUP during the start-up download does not end the process', async () => {
    const { child, stdout } = await duringStartUpDownload('slow-start.data', 300);
    try {
      child.kill('SIGHUP');
      const port = await waitFor('the port', async () => /"port":(\d+)/.exec(stdout())?.[1]);
      expect(child.exitCode).toBeNull();
      const answer = await fetch(`http://127.0.0.1:${port}/keys/k299`);
      expect(await answer.json()).toEqual({ k299: 'value-299' });
      // The held SIGHUP re-checks the source once the port is open.
      await waitFor('the held re-check', async () => {
        const dataset = (await (await fetch(`http://127.0.0.1:${port}/dataset`)).json()) as {
          lastPoll: { outcome: string } | null;
        };
        return dataset.lastPoll?.outcome === 'unchanged' ? true : undefined;
      });
    } finally {
      child.kill('SIGTERM');
    }
  });

  // The shutdown of docs/api-operations.md, begun before the port opened: it exits at once.
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s during the start-up download stops it, leaving no partial file',
    async (signal) => {
      // About ten seconds at the throttled rate: still downloading when the signal comes.
      const { child, exited, stdout } = await duringStartUpDownload('stopped-start.data', 3000);
      try {
        child.kill(signal);
        expect(await exited).toBe(0);
        expect(stdout()).toContain('"msg":"Stopped"');
        expect(await readdir(downloads)).toEqual([]);
      } finally {
        child.kill('SIGKILL');
      }
    },
  );
});
