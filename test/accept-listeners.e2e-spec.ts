import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { listeningSocketsOf, reusePortWorks } from './support/listening-sockets.js';
import { node24, ROOT, startServer } from './support/server-process.js';

/**
 * On Node.js 24 (the image's runtime) the server opens extra SO_REUSEPORT listening
 * sockets so that a burst of new connections is accepted quickly; on a runtime without
 * `reusePort` it falls back to one. Either way every connection is served and SIGTERM
 * closes all of them, idle keep-alive connections included. The sockets are counted as the kernel lists them, not only as the
 * server's log line says.
 */
const dataFile = join(ROOT, 'data', 'example.data');
const KEY = 'a00087fb-f747-4cb8-adfe-747d23673f27';

function getOnFreshConnection(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ keepAlive: false });
    const req = request({ host: '127.0.0.1', port, path: `/keys/${KEY}`, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One look-up on a connection `agent` keeps open afterwards; resolves with that connection, now idle. */
function getKeepingAlive(port: number, agent: Agent): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    const req = request({ host: '127.0.0.1', port, path: `/keys/${KEY}`, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(socket!));
    });
    req.on('socket', (assigned) => (socket = assigned));
    req.on('error', reject);
    req.end();
  });
}

const listeningLine = (stdout: string) =>
  JSON.parse(stdout.split('\n').find((line) => line.includes('kv-server listening'))!);

describe('accept listeners', () => {
  it('on Node 24: opens 1 + KV_EXTRA_LISTENERS sockets, serves connections through all, closes all on SIGTERM', async () => {
    const server = await startServer({ KV_DATA_FILE_PATH: dataFile, KV_EXTRA_LISTENERS: '16' }, 60_000, [], node24());
    try {
      expect(listeningLine(server.stdout())).toMatchObject({
        listeningSockets: 17,
        node: expect.stringMatching(/^24\./),
      });
      expect(listeningSocketsOf(server.child.pid!, server.port)).toBe(17);
      const statuses = await Promise.all(Array.from({ length: 300 }, () => getOnFreshConnection(server.port)));
      expect(statuses.every((status) => status === 200)).toBe(true);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    await expect(getOnFreshConnection(server.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 90_000);

  it('on Node 24: SIGTERM closes idle keep-alive connections, whichever socket accepted them, and exits 0', async () => {
    const server = await startServer({ KV_DATA_FILE_PATH: dataFile, KV_EXTRA_LISTENERS: '16' }, 60_000, [], node24());
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    try {
      // 20 connections over 17 listening sockets: the kernel spreads them over all.
      const idle = await Promise.all(Array.from({ length: 20 }, () => getKeepingAlive(server.port, agent)));
      const closedByServer = idle.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
      const exit = await Promise.race([server.stop('SIGTERM'), delay(20_000, 'still running 20 s after SIGTERM')]);
      expect(exit).toBe(0);
      await Promise.all(closedByServer);
    } finally {
      agent.destroy();
      await server.stop('SIGKILL');
    }
  }, 90_000);

  it('on this Node: 65 sockets by default where reusePort works, else one', async () => {
    // Whether it works is found by trying it here, not from the version number.
    const expected = (await reusePortWorks()) ? 65 : 1;
    const server = await startServer({ KV_DATA_FILE_PATH: dataFile });
    try {
      expect(listeningLine(server.stdout()).listeningSockets).toBe(expected);
      expect(listeningSocketsOf(server.child.pid!, server.port)).toBe(expected);
      expect(await getOnFreshConnection(server.port)).toBe(200);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});
