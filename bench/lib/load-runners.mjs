// The two load generators `npm run bench` can drive, each in its own process pinned to its
// own CPU, each answering with the same shape: requests, seconds, p50/p99/p99.9/max (ms),
// non2xx, errors, timeouts.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { hasTaskset } from './runtime.mjs';
import { ROOT } from './server.mjs';

const WRK_SCRIPT = join(ROOT, 'bench', 'wrk', 'random-keys.lua');
const AUTOCANNON_CLI = join(ROOT, 'bench', 'lib', 'autocannon-cli.mjs');

function pinned(cpu, command, args) {
  return cpu !== undefined && hasTaskset() ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

function run(command, args, seconds) {
  return new Promise((resolve, reject) => {
    // The load runs for `seconds`; anything far beyond that is a hang, not a slow run.
    execFile(command, args, { timeout: (seconds + 60) * 1000, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** Parses the `PREFIX key=value ...` line a runner prints. */
function resultLine(stdout, prefix) {
  const line = stdout.split('\n').find((text) => text.startsWith(prefix));
  if (!line) throw new Error(`no ${prefix} line in:\n${stdout}`);
  return Object.fromEntries(
    line
      .slice(prefix.length)
      .trim()
      .split(/\s+/)
      .map((pair) => pair.split('='))
      .map(([key, value]) => [key, Number(value)]),
  );
}

export async function runWrk({ url, keysFile, connections, seconds, cpu, timeoutSeconds = 10, headers = [] }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, `--timeout`, `${timeoutSeconds}s`, '--latency'];
  // wrk.format in the script sends the -H headers on every request.
  for (const header of headers) args.push('-H', header);
  const [command, argv] = pinned(cpu, 'wrk', [...args, '-s', WRK_SCRIPT, url, '--', keysFile]);
  const result = resultLine(await run(command, argv, seconds), 'WRK_RESULT');
  return {
    requests: result.requests,
    seconds: result.duration_us / 1e6,
    p50: result.p50_us / 1000,
    p99: result.p99_us / 1000,
    p999: result.p999_us / 1000,
    max: result.max_us / 1000,
    non2xx: result.non2xx,
    errors: result.connect_errors + result.read_errors + result.write_errors,
    timeouts: result.timeouts,
  };
}

export async function runAutocannon({ url, keysFile, connections, seconds, cpu, timeoutSeconds = 10, headers = [] }) {
  const args = [AUTOCANNON_CLI, '--url', url, '--keys', keysFile, '--connections', String(connections)];
  for (const header of headers) args.push('--header', header);
  args.push('--seconds', String(seconds), '--timeout', String(timeoutSeconds));
  const [command, argv] = pinned(cpu, process.execPath, args);
  return resultLine(await run(command, argv, seconds), 'AUTOCANNON_RESULT');
}

export const RUNNERS = { wrk: runWrk, autocannon: runAutocannon };
