import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { debianBinary } from './debian-binary.js';

/**
 * Prometheus's own rule checker and unit-test runner, promtool, from Debian's
 * `prometheus` package (.ci/run installs it when missing). The alert tests need the
 * real PromQL engine: a hand-made evaluator would only agree with itself.
 */
export const promtoolPath = (): string => debianBinary('promtool', 'prometheus');

export function assertPromtool(): void {
  execFileSync(promtoolPath(), ['--version'], { stdio: 'pipe' });
}

export interface PromtoolResult {
  code: number;
  output: string;
}

/**
 * Writes `rules` (a rule file: `{ groups: [...] }`) and, when given, a unit-test file
 * that loads it, to a temporary directory and runs `promtool check rules` or
 * `promtool test rules` there.
 */
export async function promtool(rules: unknown, tests?: Record<string, unknown>): Promise<PromtoolResult> {
  const dir = await mkdtemp(join(tmpdir(), 'kv-promtool-'));
  try {
    await writeFile(join(dir, 'rules.yaml'), stringify(rules));
    let args = ['check', 'rules', 'rules.yaml'];
    if (tests !== undefined) {
      await writeFile(join(dir, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], ...tests }));
      args = ['test', 'rules', 'tests.yaml'];
    }
    return await new Promise((resolve) => {
      execFile(promtoolPath(), args, { cwd: dir, encoding: 'utf8' }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, output: `${stdout}${stderr}` });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `promtool check metrics`: Prometheus's linter of a text exposition (naming, types,
 * help, units), fed `exposition` on stdin. A clean exposition exits 0 and prints nothing.
 */
export function promtoolCheckMetrics(exposition: string): Promise<PromtoolResult> {
  return new Promise((resolve) => {
    const child = execFile(promtoolPath(), ['check', 'metrics'], { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    child.stdin!.end(exposition);
  });
}
