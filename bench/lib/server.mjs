// Shared by the benchmark scripts: data files, starting the built server, load, CPU time.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = process.env.KV_BENCH_CACHE ?? '/tmp/kv-bench';

/** A generated data file of `lines` lines (seed 1), made once and reused. */
export function dataFile(lines) {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = join(CACHE_DIR, `${lines}.data`);
  if (!existsSync(path)) {
    execFileSync(
      process.execPath,
      [join(ROOT, 'scripts', 'generate-data.mjs'), '--lines', String(lines), '--out', path, '--seed', '1'],
      {
        stdio: 'inherit',
      },
    );
  }
  return path;
}

/** Up to `count` keys of the file (read from its first few MiB), for look-ups. */
export function sampleKeys(path, count = 10_000) {
  const head = readFileSync(path, { encoding: 'utf8', flag: 'r' }).slice(0, 8 * 1024 * 1024);
  return head
    .split('\n')
    .slice(0, count)
    .filter(Boolean)
    .map((line) => line.split(' ')[0]);
}

/**
 * Starts `node <script>` with `env` and resolves once `readyPath` answers 200. Pinned to
 * a CPU with taskset when available (`cpu`), so the server's CPU use can be read from /proc.
 */
export async function startProcess({
  script,
  env,
  port,
  cpu,
  node = process.execPath,
  nodeArgs = [],
  readyPath = '/health/ready',
}) {
  const taskset = cpu !== undefined && hasTaskset() ? ['taskset', '-c', String(cpu)] : [];
  const [command, ...args] = [...taskset, node, ...nodeArgs, script];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}${readyPath}`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${script} did not become ready: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    child,
    pid: serverPid(child),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGINT');
      }),
  };
}

function hasTaskset() {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** taskset execs the command, so the child's pid is the server's. */
function serverPid(child) {
  return child.pid;
}

/** User + system CPU seconds a process has used, from /proc (Linux). */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
}
