/**
 * `kv-server build` and `inspect` (the built dist/cli.js) when their output cannot go
 * where it was asked: an --output that is a directory, a standard output that is full
 * or closed. One line on stderr, never a stack trace, nothing left behind.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/server-process.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const EXAMPLE = join(ROOT, 'data', 'example.data');

/** Runs the CLI with its standard output on `stdout` ('pipe', or a file descriptor). */
function run(args: string[], stdout: 'pipe' | number, closeAtOnce = false) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', stdout, 'pipe'] });
  if (closeAtOnce) child.stdout!.destroy();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stderr })),
  );
}

describe('kv-server CLI output errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-cli-output-'));
    await mkdir(join(dir, 'adir'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['an existing directory', 'adir', /: it is a directory; name a file in it\.\n$/],
    ['a path ending in a slash', 'adir/', /: it is a directory; name a file in it\.\n$/],
    ['the current directory', '.', /: it is a directory; name a file in it\.\n$/],
    ['a path through a file', 'file.kvs/x', /a part of the path is not a directory \(ENOTDIR\)\.\n$/],
  ])('build -o %s: refused at once, in words', async (_case, output, message) => {
    if (output.startsWith('file.kvs')) {
      expect((await run(['build', EXAMPLE, '-o', join(dir, 'file.kvs'), '--no-progress'], 'pipe')).code).toBe(0);
    }
    const refused = await run(['build', EXAMPLE, '-o', join(dir, output), '--no-progress'], 'pipe');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^kv-server: Cannot write snapshot "/);
    expect(refused.stderr).toMatch(message);
    expect((await readdir(join(dir, 'adir'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it.each([['build'], ['inspect']])('%s with standard output on a full disk: one line, exit 1', async (command) => {
    const snapshot = join(dir, `${command}.kvs`);
    if (command === 'inspect')
      expect((await run(['build', EXAMPLE, '-o', snapshot, '--no-progress'], 'pipe')).code).toBe(0);
    const full = openSync('/dev/full', 'w');
    try {
      const args = command === 'build' ? ['build', EXAMPLE, '-o', snapshot] : ['inspect', snapshot];
      const result = await run([...args, '--no-progress'], full);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('kv-server: cannot write to standard output: ENOSPC\n');
    } finally {
      closeSync(full);
    }
    // The work itself was done: the snapshot is in place and intact.
    expect((await run(['inspect', snapshot, '--no-progress'], 'pipe')).code).toBe(0);
  });

  it('build with standard output closed by its reader (`| head`): no stack trace', async () => {
    const result = await run(['build', EXAMPLE, '-o', join(dir, 'piped.kvs'), '--no-progress'], 'pipe', true);
    expect(result.stderr).not.toMatch(/\n\s+at |Unhandled/);
    expect(result.code).toBe(0);
  });
});
