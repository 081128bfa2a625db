// Where a benchmark runs: which Node, which CPUs, which machine, which commit. Kept apart
// from server.mjs so that the numbers in a report always say what produced them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { ROOT } from './server.mjs';

/** `--node` as given: absent → this Node; `24` (or `22`, ...) → that major via npx; else a path. */
export function resolveNode(spec) {
  if (!spec) return process.execPath;
  if (!/^\d+$/.test(spec)) return spec;
  // npx caches the package, so only the first call downloads anything.
  return execFileSync('npx', ['-y', '-p', `node@${spec}`, 'node', '-p', 'process.execPath'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export function nodeVersion(node) {
  return execFileSync(node, ['-v'], { encoding: 'utf8' }).trim();
}

export function hasCommand(command, args = ['--version']) {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch (error) {
    // `wrk -v` prints its version and exits 1: a non-zero exit still means it exists.
    return error.code !== 'ENOENT';
  }
}

export const hasTaskset = () => hasCommand('taskset', ['-V']);

/**
 * Pins this process (all its threads) to `cpus`, so the load generator does not steal the
 * core the server was pinned to. Returns false where taskset is missing.
 */
export function pinThisProcess(cpus) {
  if (!hasTaskset()) return false;
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
  return true;
}

/** The CPUs other than `cpu`, as a taskset list ("0" on a 2-core machine pinned to 1). */
export function otherCpus(cpu) {
  const others = os
    .cpus()
    .map((_, index) => index)
    .filter((index) => index !== Number(cpu));
  return others.length > 0 ? others.join(',') : String(cpu);
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** What a reader needs to compare two reports: CPU model and count, kernel, commit. */
export function machineInfo() {
  let cpuModel = 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    cpus: os.cpus().length,
    kernel: `${os.type()} ${os.release()}`,
    hostname: os.hostname(),
    commit: gitCommit(),
  };
}

/** The commit measured, marked "+dirty" when the work tree has changes (read-only git calls). */
function gitCommit() {
  try {
    const git = (...args) =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const commit = git('log', '-1', '--format=%h').trim();
    return git('status', '--porcelain', '--', 'src').trim() ? `${commit}+dirty(src)` : commit;
  } catch {
    return 'unknown';
  }
}

/** A file-name-safe local timestamp, e.g. 20260127-153012. */
export function timestamp(date = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}
