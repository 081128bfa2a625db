import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from './support/server-process.js';

/**
 * The built server's logs, as an operator gets them: a key, a value and a token never
 * reach them at info, even with the access log on; the access log has one line per
 * request, with its id and route template.
 */
const KEY = 'walrus-log-key-6a2d';
const VALUE = 'narwhal-log-value-91c3';
const API_KEY = 'pelican-api-key-4e8b';
const WRONG_KEY = 'heron-wrong-key-27f0';
const ADMIN_TOKEN = 'puffin-admin-token-5d1e';
const SECRETS = [KEY, VALUE, API_KEY, WRONG_KEY, ADMIN_TOKEN];

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

describe('logs of node dist/main.js', () => {
  let dir: string;
  let dataFile: string;
  let keysFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-logging-'));
    dataFile = join(dir, 'data');
    keysFile = join(dir, 'api-keys');
    await writeFile(dataFile, `${KEY} ${VALUE}\nalpha 1\n`);
    await writeFile(keysFile, `${API_KEY}\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Starts the server, makes requests that carry every secret, stops it; returns its output. */
  async function run(env: Record<string, string>): Promise<{ output: string; lines: LogLine[] }> {
    const server: ServerProcess = await startServer({
      KV_DATA_FILE_PATH: dataFile,
      KV_API_KEYS_FILE: keysFile,
      KV_ADMIN_TOKEN: ADMIN_TOKEN,
      ...env,
    });
    const authorised = { authorization: `Bearer ${API_KEY}` };
    try {
      const call = (path: string, init: RequestInit = {}) => fetch(`${server.baseUrl}${path}`, init);
      expect((await call(`/keys/${KEY}`, { headers: { ...authorised, 'x-request-id': 'given-id-1' } })).status).toBe(
        200,
      );
      expect((await call(`/key/${KEY}`, { headers: { authorization: `Bearer ${WRONG_KEY}` } })).status).toBe(401);
      expect((await call(`/keys/${KEY}`, { headers: { cookie: `session=${API_KEY}` } })).status).toBe(401);
      expect((await call(`/keys/${VALUE}`, { headers: authorised })).status).toBe(404);
      expect((await call(`/keys?prefix=${KEY}`, { headers: authorised })).status).toBe(200);
      const batch = { method: 'POST', headers: { ...authorised, 'content-type': 'application/json' } };
      expect((await call('/keys/_mget', { ...batch, body: JSON.stringify({ keys: [KEY] }) })).status).toBe(200);
      expect((await call('/keys/_mget', { ...batch, body: `{"keys": ["${KEY}"` })).status).toBe(400);
      const reload = await call('/admin/reload', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(reload.status).toBe(200);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    const lines = server
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogLine);
    return { output: server.stdout() + server.stderr(), lines };
  }

  const accessLines = (lines: LogLine[]) => lines.filter((line) => line.msg === 'request');

  it('at info with the access log on: one line per request, and no key, value or token anywhere', async () => {
    const { output, lines } = await run({ LOG_LEVEL: 'info', KV_ACCESS_LOG: 'true' });
    for (const secret of SECRETS) expect(output).not.toContain(secret);
    const access = accessLines(lines);
    expect(access).toHaveLength(8);
    expect(access[0]).toMatchObject({
      level: 30,
      reqId: 'given-id-1',
      method: 'GET',
      route: '/keys/{key}',
      statusCode: 200,
      durationMs: expect.any(Number),
    });
    expect(access.map((line) => `${line.method} ${line.route} ${line.statusCode}`)).toEqual([
      'GET /keys/{key} 200',
      'GET /key/{key} 401',
      'GET /keys/{key} 401',
      'GET /keys/{key} 404',
      'GET /keys 200',
      'POST /keys/_mget 200',
      'POST /keys/_mget 400',
      'POST /admin/reload 200',
    ]);
    for (const line of access) expect(line.url).toBeUndefined();
    expect(new Set(access.map((line) => line.reqId)).size).toBe(8);
    // The start-up, access control and reload events, with their figures.
    expect(lines.find((line) => line.msg === 'Access control on: /keys and /key need an API key')).toMatchObject({
      keys: 1,
      source: 'KV_API_KEYS_FILE',
    });
    expect(lines.find((line) => line.msg === 'API keys re-read')).toMatchObject({ keys: 1 });
    expect(lines.find((line) => line.msg === 'Reload succeeded')).toBeDefined();
    expect(lines.find((line) => line.msg === 'Stopped')).toBeDefined();
  });

  it('without KV_ACCESS_LOG: no access lines', async () => {
    const { output, lines } = await run({ LOG_LEVEL: 'info' });
    for (const secret of SECRETS) expect(output).not.toContain(secret);
    expect(accessLines(lines)).toEqual([]);
  });

  it('at debug: the access line goes to debug and carries the URL, still without tokens', async () => {
    const { output, lines } = await run({ LOG_LEVEL: 'debug', KV_ACCESS_LOG: 'true' });
    for (const secret of [API_KEY, WRONG_KEY, ADMIN_TOKEN]) expect(output).not.toContain(secret);
    const access = accessLines(lines);
    expect(access).toHaveLength(8);
    expect(access[0]).toMatchObject({ level: 20, url: `/keys/${KEY}`, route: '/keys/{key}' });
    // A key may appear at debug, never on a line above it.
    for (const line of lines.filter((candidate) => candidate.level > 20)) {
      expect(JSON.stringify(line)).not.toContain(KEY);
    }
  });
});
