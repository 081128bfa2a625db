import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { supportsReusePort } from '../src/http/accept-listeners.js';
import { node24, ROOT, startServer } from './support/server-process.js';

/**
 * On Node.js 24 (the image's runtime) the server opens extra SO_REUSEPORT listening
 * sockets so that a burst of new connections is accepted quickly; on Node 20 it falls
 * back to one. Either way every connection is served and SIGTERM closes all of them.
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
      const statuses = await Promise.all(Array.from({ length: 300 }, () => getOnFreshConnection(server.port)));
      expect(statuses.every((status) => status === 200)).toBe(true);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    await expect(getOnFreshConnection(server.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 90_000);

  it('on this Node (20 in CI): 65 sockets by default where reusePort exists, else one', async () => {
    const server = await startServer({ KV_DATA_FILE_PATH: dataFile });
    try {
      const expected = supportsReusePort() ? 65 : 1;
      expect(listeningLine(server.stdout()).listeningSockets).toBe(expected);
      expect(await getOnFreshConnection(server.port)).toBe(200);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});
