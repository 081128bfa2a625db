import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuilt, ROOT } from './support/server-process.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run <script> -- <args>` from the repository root; resolves with its exit code and output. */
function npmRun(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', script, '--', ...args],
      { cwd: ROOT, timeout: 40_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The numeric cells of the markdown row that starts with `| name |`. */
function row(stdout: string, name: string): number[] {
  const line = stdout.split('\n').find((text) => text.startsWith(`| ${name} |`));
  if (!line) throw new Error(`no "${name}" row in:\n${stdout}`);
  return line
    .split('|')
    .slice(2, -1)
    .map((cell) => Number.parseFloat(cell));
}

/**
 * The benchmark scripts' smoke versions (a couple of seconds, a tiny load, autocannon so
 * that CI needs no wrk): they must run and print real numbers, so the scripts cannot rot.
 * No figure is asserted beyond "there is one": timing on a CI machine proves nothing.
 */
describe('benchmark smoke runs', () => {
  let out: string;

  beforeAll(async () => {
    assertBuilt();
    out = await mkdtemp(join(tmpdir(), 'kv-bench-smoke-'));
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('npm run bench:smoke compares kv-server with the Fastify baseline', async () => {
    const run = await npmRun('bench:smoke', ['--out', out]);
    expect({ code: run.code, stderr: run.code ? run.stderr : '' }).toEqual({ code: 0, stderr: '' });

    for (const server of ['fastify', 'kv-server']) {
      const [reqPerCpuSecond, , reqPerSecond] = row(run.stdout, server);
      expect(reqPerCpuSecond).toBeGreaterThan(0);
      expect(reqPerSecond).toBeGreaterThan(0);
    }
    const ratio = /ratio kv-server\/fastify req per CPU-second \(medians\): ([\d.]+)/.exec(run.stdout);
    expect(Number(ratio?.[1])).toBeGreaterThan(0);
    const perRound = /ratio within each round: ([\d., ]+); median ([\d.]+)/.exec(run.stdout);
    expect(Number(perRound?.[2])).toBeGreaterThan(0);
    const report = /^report: (.+\.md)$/m.exec(run.stdout)?.[1];
    expect(report && existsSync(report)).toBe(true);
  }, 45_000);

  it('npm run load-test:smoke prints the percentile table and writes an HTML report with charts', async () => {
    const run = await npmRun('load-test:smoke', ['--out', out]);
    expect({ code: run.code, stderr: run.code ? run.stderr : '' }).toEqual({ code: 0, stderr: '' });

    const cells = row(run.stdout, 'GET /keys/{key}');
    expect(cells).toHaveLength(12); // 11 percentiles and the request count
    expect(cells.every(Number.isFinite)).toBe(true);
    expect(cells[11]).toBeGreaterThan(0);

    const html = /^report: (.+\.html)$/m.exec(run.stdout)?.[1];
    expect(html && existsSync(html)).toBe(true);
    const page = readFileSync(html!, 'utf8');
    expect(page.match(/<svg/g)).toHaveLength(2); // latency distribution, throughput over time
    const data = JSON.parse(readFileSync(html!.replace(/\.html$/, '.json'), 'utf8'));
    expect(data.summary.requests).toBe(cells[11]);
  }, 45_000);
});
