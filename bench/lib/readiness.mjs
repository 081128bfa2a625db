// Spawn-to-ready, the same way for every server a benchmark starts (kv-server, and bare
// Fastify's stand-in, which has the same /health/ready).
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { freePort } from './runtime.mjs';

/**
 * GET /health/ready answers 200. A bare TCP connect was fooled now and then (one 10M
 * text start read as ready after 2 s; a connect can even meet itself).
 */
export function answersReady(port) {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/health/ready', agent: false, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.once('error', () => resolve(false));
    request.once('timeout', () => request.destroy());
  });
}

/** Probes every 2 ms once the server says it listens, every 100 ms before that. */
const FAST_PROBE_MS = 2;
const SLOW_PROBE_MS = 100;

/** What both servers print once they listen: kv-server's log line and fastify-map's. */
const LISTENING_LINE = /(kv-server|fastify-map) listening on/;

/**
 * Spawns `node script` on a free port (PORT and HOST added to `env`), probes it until it
 * answers ready, stops it (SIGINT) and resolves with the milliseconds from spawn to
 * ready. A server that exits first rejects.
 *
 * The probe is the observer, and on a two-core machine it competes with the server it
 * observes: probing every 2 ms from the spawn took about a quarter of a core, 250 ms of
 * CPU during a 10M-key snapshot start. So it probes every 100 ms until the server says
 * it listens (LISTENING_LINE, logged at info: LOG_LEVEL is set so), then every 2 ms.
 * The line only decides when to look: ready is still a 200 from /health/ready, and a
 * server that prints nothing is found by the slow probe, at most 100 ms late.
 *
 * `whenReady(port, startedAt)`, if given, is awaited once it is ready, before it is stopped.
 */
export async function spawnUntilReady(node, script, { cwd, env, whenReady }) {
  const port = await freePort();
  const startedAt = performance.now();
  const server = spawn(node, [script], {
    cwd,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let said = false;
  let wake = () => undefined;
  // The end of what was printed so far, so that a line split between chunks is found.
  let tail = '';
  server.stdout.setEncoding('utf8');
  server.stdout.on('data', (text) => {
    if (said) return;
    const seen = tail + text;
    tail = seen.slice(-64);
    if (!LISTENING_LINE.test(seen)) return;
    said = true;
    wake();
  });
  let exited = false;
  const exit = new Promise((resolve) => server.once('exit', (code) => ((exited = true), wake(), resolve(code))));
  while (!exited) {
    if (await answersReady(port)) {
      const ms = Math.round(performance.now() - startedAt);
      await whenReady?.(port, startedAt);
      server.kill('SIGINT');
      await exit;
      return ms;
    }
    if (exited) break;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, said ? FAST_PROBE_MS : SLOW_PROBE_MS);
      wake = () => (clearTimeout(timer), resolve());
    });
  }
  throw new Error(`${script} exited (${await exit}) before it was ready`);
}
