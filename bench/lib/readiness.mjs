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

/**
 * Spawns `node script` on a free port (PORT and HOST added to `env`), probes it every
 * 2 ms until it answers ready, stops it (SIGINT) and resolves with the milliseconds
 * from spawn to ready. A server that exits first rejects.
 */
export async function spawnUntilReady(node, script, { cwd, env }) {
  const port = await freePort();
  const startedAt = performance.now();
  const server = spawn(node, [script], {
    cwd,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  const exit = new Promise((resolve) => server.once('exit', (code) => ((exited = true), resolve(code))));
  while (!exited) {
    if (await answersReady(port)) {
      const ms = Math.round(performance.now() - startedAt);
      server.kill('SIGINT');
      await exit;
      return ms;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${script} exited (${await exit}) before it was ready`);
}
