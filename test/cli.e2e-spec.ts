/**
 * The kv-server CLI as users run it: the built dist/cli.js in a child process
 * (`npm test` builds first; run `npm run build` before this file on its own).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/store/load-dataset.js';
import { ROOT } from './support/server-process.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const EXAMPLE = join(ROOT, 'data', 'example.data');

/** Lines as a reader counts them: every newline, and a last line without one. */
function countLines(text: Buffer): number {
  const newlines = text.reduce((count, byte) => count + (byte === 0x0a ? 1 : 0), 0);
  return newlines + (text.length > 0 && text.at(-1) !== 0x0a ? 1 : 0);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kv-server build and inspect', () => {
  it('builds a snapshot of the example data, prints its summary, and inspect verifies it', async () => {
    const output = join(dir, 'example.kvs');
    const version = createHash('sha256')
      .update(await readFile(EXAMPLE))
      .digest('hex')
      .slice(0, 16);

    const build = await cli(['build', 'data/example.data', '--output', output]);
    expect(build.stderr).not.toMatch(/error/i);
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(new RegExp(`^Built ${output} from data/example.data in \\d+\\.\\d s\n`));
    expect(build.stdout).toMatch(/^ {2}keys {19}10012$/m);
    expect(build.stdout).toMatch(/^ {2}duplicates overridden {2}0$/m);
    expect(build.stdout).toMatch(new RegExp(`^  dataset version {8}${version}$`, 'm'));

    const inspect = await cli(['inspect', output]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/^ {2}format version {9}2$/m);
    expect(inspect.stdout).toMatch(/^ {2}keys {19}10012$/m);
    expect(inspect.stdout).toMatch(new RegExp(`^  dataset version {8}${version}$`, 'm'));
    expect(inspect.stdout).toMatch(/^ {2}source {17}example\.data, 531712 bytes$/m);
    expect(inspect.stdout).toMatch(/^ {2}checksums {14}ok \(header and \d+ sections, xxh64\)$/m);
  });

  it('prints JSON with --json, and progress as JSON lines on stderr when it is not a terminal', async () => {
    const output = join(dir, 'json.kvs');
    const build = await cli(['build', EXAMPLE, '-o', output, '--json']);
    expect(build.code).toBe(0);
    const summary = JSON.parse(build.stdout);
    const reference = await loadDataset(EXAMPLE, { onMalformed: 'fail' });
    expect(summary).toMatchObject({
      output,
      keys: reference.summary.keys,
      lines: reference.summary.lines,
      inputBytes: reference.summary.bytes,
      version: reference.summary.version,
      malformedSkipped: 0,
    });
    const progress = build.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect([...new Set(progress.map(({ phase }) => phase))]).toEqual(['reading', 'indexing', 'writing']);
    // Each phase's last line is its final count: the whole file read, every line counted,
    // the whole snapshot written.
    const last = (phase: string) => progress.filter((report) => report.phase === phase).at(-1);
    const text = readFileSync(EXAMPLE);
    expect(last('reading')).toMatchObject({ bytes: text.length, totalBytes: text.length, lines: countLines(text) });
    const written = statSync(output).size;
    expect(last('writing')).toMatchObject({ bytes: written, totalBytes: written });

    const inspect = JSON.parse((await cli(['inspect', output, '--json', '--no-progress'])).stdout);
    expect(inspect).toMatchObject({
      formatVersion: 2,
      checksum: 'xxh64',
      keys: 10012,
      version: reference.summary.version,
      checksums: 'ok',
    });
    expect(inspect.source).toMatchObject({ name: 'example.data', bytes: 531712 });
  });

  it('counts a last line without a newline in the final progress line', async () => {
    const input = join(dir, 'no-final-newline.data');
    await writeFile(input, 'a 1\nb 2\nc 3');
    const build = await cli(['build', input, '-o', join(dir, 'no-final-newline.kvs')]);
    expect(build.code).toBe(0);
    const reading = build.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter(({ phase }) => phase === 'reading');
    expect(reading.at(-1)).toMatchObject({ bytes: 11, totalBytes: 11, lines: 3 });
  });

  it('shows every phase of an empty input, each at its final count', async () => {
    const input = join(dir, 'empty.data');
    await writeFile(input, '');
    const output = join(dir, 'empty.kvs');
    const build = await cli(['build', input, '-o', output]);
    expect(build.code).toBe(0);
    const progress = build.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(progress.find(({ phase }) => phase === 'reading')).toMatchObject({ bytes: 0, totalBytes: 0, lines: 0 });
    const written = statSync(output).size;
    expect(progress.filter(({ phase }) => phase === 'writing').at(-1)).toMatchObject({
      bytes: written,
      totalBytes: written,
    });
  });

  it('refuses a malformed input under "fail" with the server\'s message, writing nothing', async () => {
    const input = join(dir, 'malformed.txt');
    await writeFile(input, 'good 1\nlonely\n bad key\n');
    const expected = await loadDataset(input, { onMalformed: 'fail' }).catch((error: Error) => error.message);
    const output = join(dir, 'never.kvs');
    const before = await readdir(dir);

    const build = await cli(['build', input, '--output', output, '--no-progress']);
    expect(build.code).toBe(1);
    expect(build.stderr).toBe(`kv-server: ${expected}\n`);
    expect(expected).toMatch(/has 2 malformed lines/);
    expect(existsSync(output)).toBe(false);
    expect(await readdir(dir)).toEqual(before);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('removes its temporary file when stopped by %s, and exits %d', async (signal, exitCode) => {
    const input = join(dir, `large-${signal}.txt`);
    await writeFile(input, Array.from({ length: 1_500_000 }, (_, i) => `key-${i} value-${i}`).join('\n'));
    const outputDir = join(dir, `stopped-${signal}`);
    await mkdir(outputDir);
    const child = spawn(process.execPath, [CLI, 'build', input, '-o', join(outputDir, 'out.kvs'), '--no-progress'], {
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The temporary file is created before the input is read: stop the build as soon as it exists.
    while ((await readdir(outputDir)).length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(await readdir(outputDir)).toEqual([expect.stringMatching(/^\.out\.kvs\.[0-9a-f]+\.tmp$/)]);
    child.kill(signal);
    expect(await exited).toBe(exitCode);
    expect(await readdir(outputDir)).toEqual([]);
  });

  it('leaves malformed lines out under skip (from KV_ON_MALFORMED or --on-malformed) and says which', async () => {
    const input = join(dir, 'skip.txt');
    await writeFile(input, 'good 1\nlonely\n');
    for (const [args, env] of [
      [['--on-malformed', 'skip'], {}],
      [[], { KV_ON_MALFORMED: 'SKIP' }],
    ] as const) {
      const build = await cli(['build', input, '-o', join(dir, 'skip.kvs'), '--json', ...args], env);
      expect(build.code).toBe(0);
      expect(JSON.parse(build.stdout)).toMatchObject({ keys: 1, malformedSkipped: 1 });
      expect(build.stderr).toContain(`kv-server: skipped malformed line 2 of ${input}: no space or tab`);
    }
  });

  it('refuses a snapshot as its input: it is not a text data file', async () => {
    const snapshot = join(dir, 'input.kvs');
    expect((await cli(['build', EXAMPLE, '-o', snapshot, '--no-progress'])).code).toBe(0);
    const build = await cli(['build', snapshot, '-o', join(dir, 'again.kvs'), '--no-progress']);
    expect(build.code).toBe(1);
    expect(build.stderr).toBe(
      `kv-server: Cannot read "${snapshot}" as a text data file: it is a kv-server snapshot.\n`,
    );
    expect(existsSync(join(dir, 'again.kvs'))).toBe(false);

    // Damaged in its magic bytes, or cut inside them: still a snapshot, never parsed as text.
    const bytes = await readFile(snapshot);
    const damaged = join(dir, 'damaged-magic.kvs');
    await writeFile(damaged, Buffer.concat([Buffer.from([bytes[0] ^ 0x01]), bytes.subarray(1)]));
    const cut = join(dir, 'cut-magic.kvs');
    await writeFile(cut, bytes.subarray(0, 3));
    for (const input of [damaged, cut]) {
      const refused = await cli([
        'build',
        input,
        '-o',
        join(dir, 'again.kvs'),
        '--no-progress',
        '--on-malformed',
        'skip',
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        `kv-server: Cannot read "${input}" as a text data file: it is a kv-server snapshot.\n`,
      );
      expect(existsSync(join(dir, 'again.kvs'))).toBe(false);
    }
  });

  it('refuses to replace its own input', async () => {
    const input = join(dir, 'self.txt');
    await writeFile(input, 'a 1\n');
    const build = await cli(['build', input, '--output', input]);
    expect(build.code).toBe(2);
    expect(build.stderr).toMatch('is the input file itself');
    expect(await readFile(input, 'utf8')).toBe('a 1\n');
  });

  it('reports a damaged snapshot from inspect with exit status 1', async () => {
    const output = join(dir, 'to-damage.kvs');
    expect((await cli(['build', EXAMPLE, '-o', output, '--no-progress'])).code).toBe(0);
    const bytes = await readFile(output);
    bytes[bytes.length - 10] ^= 0xff;
    await writeFile(output, bytes);
    const inspect = await cli(['inspect', output, '--no-progress']);
    expect(inspect.code).toBe(1);
    expect(inspect.stderr).toMatch(
      new RegExp(`^kv-server: Cannot load snapshot "${output}": its records section .* fails its checksum`),
    );
    expect(inspect.stdout).toBe('');
  });

  it('inspect refuses a text file: it is not a snapshot', async () => {
    const inspect = await cli(['inspect', EXAMPLE]);
    expect(inspect.code).toBe(1);
    expect(inspect.stderr).toMatch(/it does not start with the snapshot magic bytes .*; it is not a snapshot/);
    // It was never built: the advice is to build one, not to build it "again".
    expect(inspect.stderr).toMatch(/A text data file becomes one with "kv-server build"\.\n$/);
    for (const notAFile of [dir, '/dev/null']) {
      const refused = await cli(['inspect', notAFile]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(`^kv-server: Cannot inspect "${notAFile}": it is .*; expected a snapshot file\\.\n$`),
      );
    }
  });
});

describe('kv-server usage', () => {
  it.each([
    [['--help'], /^Usage: kv-server COMMAND \[options\][\s\S]*build +build a snapshot[\s\S]*inspect +print a snapshot/],
    [['build', '--help'], /^Usage: kv-server build INPUT --output FILE \[options\][\s\S]*--on-malformed POLICY/],
    [['inspect', '-h'], /^Usage: kv-server inspect FILE \[options\]/],
    [['help', 'build'], /^Usage: kv-server build INPUT/],
  ])('%j prints help on stdout and exits 0', async (args, help) => {
    const run = await cli(args);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(help);
    expect(run.stderr).toBe('');
  });

  it.each([
    [['build', EXAMPLE, '--output', '/tmp/x.kvs', '--frobnicate'], /^kv-server build: Unknown option '--frobnicate'/],
    [['build', EXAMPLE], /^kv-server build: missing --output FILE, where to write the snapshot\n/],
    [['build', '--output', '/tmp/x.kvs'], /^kv-server build: missing INPUT, the text data file to build from\n/],
    [
      ['build', EXAMPLE, '-o', '/tmp/x.kvs', '--on-malformed', 'ignore'],
      /--on-malformed="ignore" is not valid: expected fail or skip/,
    ],
    [['inspect'], /^kv-server inspect: missing FILE, the snapshot to inspect\n/],
    [['frobnicate'], /^kv-server: unknown command "frobnicate"\n\nUsage: kv-server COMMAND/],
    [[], /^Usage: kv-server COMMAND/],
  ])('%j is a usage error: exit 2, a clear message on stderr', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
