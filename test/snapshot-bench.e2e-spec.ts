import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, ROOT } from './support/server-process.js';

/**
 * bench/snapshots.mjs on the example data, one round, and bench/boot.mjs: each must run
 * and print rows of real numbers, so the scripts cannot rot. No figure is asserted beyond "there is one":
 * timing on a CI machine proves nothing.
 */
describe('npm run bench:snapshots, smoke run', () => {
  let cache: string;

  beforeAll(async () => {
    assertBuilt();
    cache = await mkdtemp(join(tmpdir(), 'kv-snapshot-bench-'));
  });
  afterAll(() => rm(cache, { recursive: true, force: true }));

  it('measures the text load, build, snapshot load, floor, server start, first listing and the starts beside a read of the example', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        // Back to back (--settle 0): pauses would only make the smoke run slower.
        ['bench/snapshots.mjs', '--sizes', 'example', '--rounds', '1', '--settle', '0', '--cache', cache],
        { cwd: ROOT, timeout: 60_000 },
        (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
      ),
    );
    expect({ code, stderr: code ? stderr : '' }).toEqual({ code: 0, stderr: '' });
    const line = stdout.split('\n').find((text) => text.startsWith('| example |'));
    const cells = line!
      .split('|')
      .slice(2, -1)
      .map((cell) => Number.parseFloat(cell.replace(/,/g, '')));
    expect(cells).toHaveLength(24);
    expect(cells.every(Number.isFinite)).toBe(true);
    expect(cells[0]).toBe(10012);
  }, 70_000);
});

describe('npm run bench:boot, smoke run', () => {
  it('prints the cost of each part of start-up, in milliseconds', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['bench/boot.mjs', '--rounds', '1'],
        { cwd: ROOT, timeout: 60_000 },
        (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
      ),
    );
    expect({ code, stderr: code ? stderr : '' }).toEqual({ code: 0, stderr: '' });
    const rows = stdout.split('\n').filter((text) => /^\| (import|loader|kv-server|bare|node)/.test(text));
    expect(rows.map((row) => row.split('|')[1].trim().split(/[:,]/)[0])).toEqual([
      ...Array.from({ length: 9 }, () => 'import'),
      'loader worker',
      'kv-server',
      'bare Fastify and a Map',
      'node -e 0',
    ]);
    for (const row of rows) expect(Number(row.split('|')[2])).toBeGreaterThan(0);
  }, 70_000);
});
