import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, ROOT } from './support/server-process.js';

/**
 * bench/snapshots.mjs on the example data, one round: it must run and print a row of
 * real numbers, so the script cannot rot. No figure is asserted beyond "there is one":
 * timing on a CI machine proves nothing.
 */
describe('npm run bench:snapshots, smoke run', () => {
  let cache: string;

  beforeAll(async () => {
    assertBuilt();
    cache = await mkdtemp(join(tmpdir(), 'kv-snapshot-bench-'));
  });
  afterAll(() => rm(cache, { recursive: true, force: true }));

  it('measures the text load, build, snapshot load, floor and server start of the example', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['bench/snapshots.mjs', '--sizes', 'example', '--rounds', '1', '--cache', cache],
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
    expect(cells).toHaveLength(16);
    expect(cells.every(Number.isFinite)).toBe(true);
    expect(cells[0]).toBe(10012);
  }, 70_000);
});
