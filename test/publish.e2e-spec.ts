/**
 * `kv-server publish` as users run it (the built dist/cli.js), and what it publishes
 * served by a real nginx to the built server: a text file, then a snapshot of
 * another version, followed by a polling replica; then a rollback.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nginx } from './support/nginx.js';
import { ROOT, startServer, type ServerProcess } from './support/server-process.js';

const CLI = join(ROOT, 'dist', 'cli.js');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('kv-server publish', () => {
  let work: string;
  const nginx = new Nginx();
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'kv-publish-'));
    await nginx.start();
  });
  afterAll(async () => {
    await server?.stop();
    await nginx.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('writes the file under its checksum, then the manifest; a replica follows it, snapshot or text', async () => {
    const v1 = join(work, 'v1.data');
    const v2 = join(work, 'v2.data');
    await writeFile(v1, 'greeting hello\n');
    await writeFile(v2, 'greeting bonjour\n');
    const dir = join(nginx.root, 'published');

    const first = await cli(['publish', v1, '--dir', dir, '--version', 'one']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const v1Name = `${sha256('greeting hello\n').slice(0, 16)}.data`;
    expect(first.stdout).toContain(`as ${join(dir, v1Name)} (text, 15 bytes`);
    expect(JSON.parse(await readFile(join(dir, 'current.json'), 'utf8'))).toEqual({
      url: v1Name,
      sha256: sha256('greeting hello\n'),
      version: 'one',
    });

    const downloads = join(work, 'downloads');
    // Missing: the server creates it.
    server = await startServer({
      KV_MANIFEST_URL: `${nginx.baseUrl}/published/current.json`,
      KV_POLL_INTERVAL: '1',
      KV_DOWNLOAD_DIR: downloads,
    });
    const greeting = async () => (await (await fetch(`${server!.baseUrl}/keys/greeting`)).json()) as object;
    const format = async () =>
      ((await (await fetch(`${server!.baseUrl}/dataset`)).json()) as { format: string }).format;
    expect(await greeting()).toEqual({ greeting: 'hello' });

    const snapshot = join(work, 'v2.kvs');
    expect((await cli(['build', v2, '--output', snapshot])).code).toBe(0);
    const second = await cli(['publish', snapshot, '--dir', dir, '--version', 'two']);
    expect(second.code).toBe(0);
    const v2Name = `${sha256(await readFile(snapshot)).slice(0, 16)}.kvs`;
    expect(second.stdout).toContain(`as ${join(dir, v2Name)} (snapshot,`);
    expect((await readdir(dir)).sort()).toEqual([v1Name, v2Name, 'current.json'].sort());

    const until = async (expected: object) => {
      const deadline = Date.now() + 10_000;
      while (JSON.stringify(await greeting()) !== JSON.stringify(expected)) {
        if (Date.now() > deadline) throw new Error(`no switch to ${JSON.stringify(expected)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await until({ greeting: 'bonjour' });
    expect(await format()).toBe('snapshot');
    expect(server.stdout()).toMatch(/"msg":"Dataset version changed from [0-9a-f]{16} to [0-9a-f]{16}".*"label":"two"/);

    expect((await cli(['publish', v1, '--dir', dir])).code).toBe(0);
    await until({ greeting: 'hello' });
    expect(await format()).toBe('text');
  });

  it.each([
    [['publish'], 2, /missing DATAFILE/],
    [['publish', 'data/example.data'], 2, /missing --dir DIR/],
    [
      ['publish', 'data/example.data', '--dir', '/tmp', '--manifest', 'a/b.json'],
      2,
      /must be a file name inside --dir/,
    ],
    [
      ['publish', '/nonexistent/file.data', '--dir', '/tmp'],
      1,
      /^kv-server: cannot read \/nonexistent\/file\.data: no such file \(ENOENT\)\n$/,
    ],
    [['publish', 'data/example.data', '--dir', '/tmp', '--manifest', '..'], 2, /must be a file name inside --dir/],
    [['publish', 'data/example.data', '--dir', '/tmp', '--manifest', '.'], 2, /must be a file name inside --dir/],
    [
      ['publish', 'data/example.data', '--dir', 'data/example.data'],
      1,
      /^kv-server: cannot create the directory data\/example\.data: a file, not a directory, is in the way \(EEXIST\)\n$/,
    ],
  ])('refuses %p clearly', async (args, code, message) => {
    const run = await cli(args);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('refuses a damaged snapshot, in a section or in its magic bytes, and publishes nothing', async () => {
    const snapshot = join(work, 'to-damage.kvs');
    expect((await cli(['build', 'data/example.data', '-o', snapshot, '--no-progress'])).code).toBe(0);
    const intact = await readFile(snapshot);
    const flipped = (at: number) => {
      const bytes = Buffer.from(intact);
      bytes[at] ^= 0x01;
      return bytes;
    };
    for (const [name, bytes, message] of [
      ['section.kvs', flipped(intact.length - 10), /fails its checksum/],
      ['magic.kvs', flipped(0), /its magic bytes are damaged/],
    ] as const) {
      const input = join(work, name);
      await writeFile(input, bytes);
      const dir = join(work, `published-${name}`);
      const run = await cli(['publish', input, '--dir', dir]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^kv-server: Cannot load snapshot "${input}": `));
      expect(run.stderr).toMatch(message);
      expect(await readdir(dir).catch(() => [])).toEqual([]);
    }
  });

  it('explains itself with --help', async () => {
    const run = await cli(['publish', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: kv-server publish DATAFILE --dir DIR/);
  });
});
