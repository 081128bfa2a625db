import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX_EXAMPLE, nginxBinary, startNginxProxy, type NginxProxy } from './support/nginx-proxy.js';
import { fillIn, cachingProxiesDoc, readExample } from './support/proxy-process.js';
import { statusesServed } from './support/served-requests.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { sleep, waitFor } from './support/wait.js';

/**
 * The nginx recipe of docs/caching-proxies.md, exactly as
 * docs/examples/nginx-cache.conf has it, run by a real nginx in front of the built
 * server: what nginx answers from its cache, and what kv-server's access log shows
 * reached it (every request of the test carries its own X-Request-Id).
 */

/** Longer than nginx can keep an answer stored for 1 s fresh (it counts whole seconds). */
const PAST_ONE_SECOND_FRESHNESS_MS = 2_100;

let requests = 0;
const newId = (what: string) => `nginx-test-${what}-${++requests}`;

interface Answer {
  status: number;
  body: string;
  cacheStatus: string | null;
  requestId: string | null;
  cacheControl: string | null;
}

async function get(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, { headers });
  return {
    status: response.status,
    body: await response.text(),
    cacheStatus: response.headers.get('x-cache-status'),
    requestId: response.headers.get('x-request-id'),
    cacheControl: response.headers.get('cache-control'),
  };
}

describe('nginx in front of kv-server (docs/examples/nginx-cache.conf)', () => {
  let dir: string;
  let dataFile: string;
  let server: ServerProcess;
  let nginx: NginxProxy;

  beforeAll(async () => {
    nginxBinary();
    dir = await mkdtemp(join(tmpdir(), 'kv-nginx-cache-'));
    dataFile = join(dir, 'cache.data');
    await writeFile(dataFile, 'alpha first-value\nbeta two\ngamma three\n');
    server = await startServer({ KV_DATA_FILE_PATH: dataFile, KV_ACCESS_LOG: 'true', KV_EXTRA_LISTENERS: '0' });
    nginx = await startNginxProxy(server.port);
  });
  afterAll(async () => {
    await nginx?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a look-up: the second is a HIT that never reaches kv-server, with its own request id', async () => {
    const missId = newId('miss');
    expect(await get(nginx.baseUrl, '/keys/alpha', { 'x-request-id': missId })).toEqual({
      status: 200,
      body: '{"alpha":"first-value"}',
      cacheStatus: 'MISS',
      requestId: missId,
      cacheControl: 'no-cache',
    });
    const hitId = newId('hit');
    expect(await get(nginx.baseUrl, '/keys/alpha', { 'x-request-id': hitId })).toEqual({
      status: 200,
      body: '{"alpha":"first-value"}',
      cacheStatus: 'HIT',
      requestId: hitId,
      cacheControl: 'no-cache',
    });
    expect(await statusesServed(server, missId)).toEqual([200]);
    expect(await statusesServed(server, hitId)).toEqual([]);
  });

  it('gives a request without X-Request-Id an id of its own, the one kv-server logs', async () => {
    const miss = await get(nginx.baseUrl, '/keys/gamma');
    const hit = await get(nginx.baseUrl, '/keys/gamma');
    expect([miss.cacheStatus, hit.cacheStatus]).toEqual(['MISS', 'HIT']);
    expect(miss.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(hit.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(hit.requestId).not.toBe(miss.requestId);
    expect(await statusesServed(server, miss.requestId!)).toEqual([200]);
  });

  it('keeps the JSON entry and the raw value apart (Vary: Accept)', async () => {
    const raw = { accept: 'text/plain' };
    expect(await get(nginx.baseUrl, '/keys/beta', raw)).toMatchObject({ body: 'two', cacheStatus: 'MISS' });
    expect(await get(nginx.baseUrl, '/keys/beta')).toMatchObject({ body: '{"beta":"two"}', cacheStatus: 'MISS' });
    expect(await get(nginx.baseUrl, '/keys/beta', raw)).toMatchObject({ body: 'two', cacheStatus: 'HIT' });
    expect(await get(nginx.baseUrl, '/keys/beta')).toMatchObject({ body: '{"beta":"two"}', cacheStatus: 'HIT' });
  });

  it('stores no miss, and nothing but look-ups', async () => {
    for (let i = 0; i < 2; i++) {
      expect(await get(nginx.baseUrl, '/keys/absent')).toMatchObject({ status: 404, cacheStatus: 'MISS' });
      expect(await get(nginx.baseUrl, '/key/a%20b')).toMatchObject({ status: 400, cacheStatus: 'MISS' });
      expect(await get(nginx.baseUrl, '/keys?prefix=al')).toMatchObject({ status: 200, cacheStatus: null });
      expect(await get(nginx.baseUrl, '/health/ready')).toMatchObject({ status: 200, cacheStatus: null });
    }
  });

  it('revalidates an expired answer: kv-server answers 304 to If-None-Match, nginx serves what it stored', async () => {
    const storeId = newId('store');
    await get(nginx.baseUrl, '/key/gamma', { 'x-request-id': storeId });
    expect(await statusesServed(server, storeId)).toEqual([200]);
    await sleep(PAST_ONE_SECOND_FRESHNESS_MS);
    const revalidateId = newId('revalidate');
    expect(await get(nginx.baseUrl, '/key/gamma', { 'x-request-id': revalidateId })).toMatchObject({
      status: 200,
      body: '{"gamma":"three"}',
      cacheStatus: 'REVALIDATED',
    });
    expect(await statusesServed(server, revalidateId)).toEqual([304]);
    expect(await get(nginx.baseUrl, '/key/gamma')).toMatchObject({ body: '{"gamma":"three"}', cacheStatus: 'HIT' });
  });

  it('serves a changed value once the stored one has expired after a reload; an unchanged one keeps its old version', async () => {
    await get(nginx.baseUrl, '/keys/alpha');
    const storedVersion = (await fetch(`${nginx.baseUrl}/keys/gamma`)).headers.get('kv-dataset-version');
    await writeFile(dataFile, 'alpha second-value\nbeta two\ngamma three\n');
    server.child.kill('SIGHUP');
    await waitFor(async () => (await get(server.baseUrl, '/keys/alpha')).body === '{"alpha":"second-value"}');
    await sleep(PAST_ONE_SECOND_FRESHNESS_MS);
    const refreshId = newId('refresh');
    expect(await get(nginx.baseUrl, '/keys/alpha', { 'x-request-id': refreshId })).toMatchObject({
      status: 200,
      body: '{"alpha":"second-value"}',
      cacheStatus: 'EXPIRED',
    });
    expect(await statusesServed(server, refreshId)).toEqual([200]);
    // gamma did not change: kv-server confirms it (304) under the new dataset version, and
    // nginx keeps the headers it stored, the old version included.
    const newVersion = (await fetch(`${server.baseUrl}/keys/gamma`)).headers.get('kv-dataset-version');
    expect(newVersion).not.toBe(storedVersion);
    const revalidated = await fetch(`${nginx.baseUrl}/keys/gamma`);
    expect({
      cacheStatus: revalidated.headers.get('x-cache-status'),
      version: revalidated.headers.get('kv-dataset-version'),
      body: await revalidated.text(),
    }).toEqual({ cacheStatus: 'REVALIDATED', version: storedVersion, body: '{"gamma":"three"}' });
  });

  it('is what docs/caching-proxies.md shows', async () => {
    const block = `\`\`\`nginx\n${await readExample(NGINX_EXAMPLE)}\`\`\``;
    expect({ shownVerbatim: (await cachingProxiesDoc()).includes(block) }).toEqual({ shownVerbatim: true });
  });
});

describe('nginx in front of kv-server with API keys', () => {
  let server: ServerProcess;
  let nginx: NginxProxy;

  beforeAll(async () => {
    server = await startServer({ KV_API_KEYS: 'key-one', KV_ACCESS_LOG: 'true', KV_EXTRA_LISTENERS: '0' });
    nginx = await startNginxProxy(server.port);
  });
  afterAll(async () => {
    await nginx?.stop();
    await server?.stop();
  });

  it('neither stores nor serves from the cache a request with credentials; one without gets the 401', async () => {
    const withKey = { authorization: 'Bearer key-one' };
    for (const id of [newId('key'), newId('key')]) {
      expect(await get(nginx.baseUrl, '/keys/greeting', { ...withKey, 'x-request-id': id })).toMatchObject({
        status: 200,
        body: '{"greeting":"Hello, world!"}',
        cacheStatus: 'BYPASS',
      });
      expect(await statusesServed(server, id)).toEqual([200]);
    }
    expect(await get(nginx.baseUrl, '/keys/greeting')).toMatchObject({ status: 401, cacheStatus: 'MISS' });
  });
});

describe('nginx honouring KV_CACHE_MAX_AGE instead (the example without its two Cache-Control lines)', () => {
  let withoutOverride: string;
  let server: ServerProcess;
  let nginx: NginxProxy;

  beforeAll(async () => {
    withoutOverride = fillIn(await readExample(NGINX_EXAMPLE), [
      ['        proxy_ignore_headers Cache-Control;\n', ''],
      ['        proxy_cache_valid 200 1s;\n', ''],
    ]);
    server = await startServer({ KV_CACHE_MAX_AGE: '1', KV_ACCESS_LOG: 'true', KV_EXTRA_LISTENERS: '0' });
    nginx = await startNginxProxy(server.port, withoutOverride);
  });
  afterAll(async () => {
    await nginx?.stop();
    await server?.stop();
  });

  it('stores for max-age seconds, then revalidates with a 304 from kv-server', async () => {
    expect(await get(nginx.baseUrl, '/keys/greeting')).toMatchObject({
      cacheStatus: 'MISS',
      cacheControl: 'public, max-age=1',
    });
    expect(await get(nginx.baseUrl, '/keys/greeting')).toMatchObject({ cacheStatus: 'HIT' });
    await sleep(PAST_ONE_SECOND_FRESHNESS_MS);
    const id = newId('max-age');
    expect(await get(nginx.baseUrl, '/keys/greeting', { 'x-request-id': id })).toMatchObject({
      body: '{"greeting":"Hello, world!"}',
      cacheStatus: 'REVALIDATED',
    });
    expect(await statusesServed(server, id)).toEqual([304]);
  });

  it('stores nothing while kv-server sends its default no-cache: the reason for those two lines', async () => {
    const defaults = await startServer({ KV_EXTRA_LISTENERS: '0' });
    const plainNginx = await startNginxProxy(defaults.port, withoutOverride);
    try {
      for (let i = 0; i < 3; i++) {
        expect(await get(plainNginx.baseUrl, '/keys/greeting')).toMatchObject({ status: 200, cacheStatus: 'MISS' });
      }
    } finally {
      await plainNginx.stop();
      await defaults.stop();
    }
  });
});
