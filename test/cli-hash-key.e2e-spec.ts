import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAccessFile } from '../src/access/access-file.js';
import { assertBuilt, ROOT } from './support/server-process.js';

/** `kv-server hash-key` as users run it: the key on standard input, the hash on standard output. */
function hashKey(stdin: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'hash-key', ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(() => assertBuilt());

it.each([
  ['printf %s', 'billing-example-key'],
  ['echo', 'billing-example-key\n'],
  ['a Windows line end', 'billing-example-key\r\n'],
])('prints the SHA-256 of the key on standard input (%s)', async (_how, input) => {
  const run = await hashKey(input);
  expect(run).toEqual({
    code: 0,
    stdout: `${createHash('sha256').update('billing-example-key').digest('hex')}\n`,
    stderr: '',
  });
});

it.each(['data/example-access.yaml', 'k8s/components/access-control/client-roles/example-access.yaml'])(
  'gives the hashes of %s for its documented example keys',
  async (file) => {
    const clients = parseAccessFile(await readFile(join(ROOT, file), 'utf8'));
    const hashes = await Promise.all(
      ['billing-example-key', 'hr-example-key'].map(async (key) => (await hashKey(key)).stdout.trim()),
    );
    expect(clients.map((client) => client.keySha256)).toEqual(hashes);
  },
);

it('refuses a key given as an argument, an empty key and one with whitespace', async () => {
  const argument = await hashKey('', ['secret-in-ps']);
  expect(argument.code).toBe(2);
  expect(argument.stderr).toContain('not from an argument');
  expect(argument.stderr).not.toContain('secret-in-ps');
  expect(await hashKey('')).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining('no key') });
  expect(await hashKey('two words')).toMatchObject({
    code: 1,
    stdout: '',
    stderr: expect.stringContaining('whitespace'),
  });
});
