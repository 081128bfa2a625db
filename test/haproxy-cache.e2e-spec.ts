import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HAPROXY_EXAMPLE, startHAProxyCache, type HAProxyCache } from './support/haproxy-cache.js';
import { cachingProxiesDoc, readExample } from './support/proxy-process.js';
import { statusesServed } from './support/served-requests.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { sleep, waitFor } from './support/wait.js';

/**
 * The HAProxy recipe of docs/caching-proxies.md, exactly as
 * docs/examples/haproxy-cache.cfg has it, run by a real HAProxy in front of the built
 * server: what HAProxy answers from its cache (it marks those `X-Cache-Status: HIT`), and
 * what kv-server's access log shows reached it.
 */

/** Longer than `max-age 2` keeps an answer (HAProxy counts whole seconds). */
const PAST_FRESHNESS_MS = 2_100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let requests = 0;
const newId = (what: string) => `haproxy-test-${what}-${++requests}`;

async function get(baseUrl: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${path}`, { headers });
  return {
    status: response.status,
    body: await response.text(),
    cacheStatus: response.headers.get('x-cache-status'),
    requestId: response.headers.get('x-request-id'),
    cacheControl: response.headers.get('cache-control'),
    vary: response.headers.get('vary'),
  };
}

describe('HAProxy with its cache in front of kv-server (docs/examples/haproxy-cache.cfg)', () => {
  let dir: string;
  let dataFile: string;
  let server: ServerProcess;
  let haproxy: HAProxyCache;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-haproxy-cache-'));
    dataFile = join(dir, 'cache.data');
    await writeFile(dataFile, 'alpha first-value\nbeta two\ngamma three\n');
    server = await startServer({ KV_DATA_FILE_PATH: dataFile, KV_ACCESS_LOG: 'true', KV_EXTRA_LISTENERS: '0' });
    haproxy = await startHAProxyCache(server.port);
  });
  afterAll(async () => {
    await haproxy?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a JSON look-up: the second is a HIT that never reaches kv-server, with its headers and its own id', async () => {
    const missId = newId('miss');
    const hitId = newId('hit');
    const headers = { status: 200, body: '{"alpha":"first-value"}', cacheControl: 'no-cache', vary: 'Accept' };
    expect(await get(haproxy.baseUrl, '/keys/alpha', { 'x-request-id': missId })).toEqual({
      ...headers,
      cacheStatus: null,
      requestId: missId,
    });
    expect(await get(haproxy.baseUrl, '/keys/alpha', { 'x-request-id': hitId })).toEqual({
      ...headers,
      cacheStatus: 'HIT',
      requestId: hitId,
    });
    expect(await statusesServed(server, missId)).toEqual([200]);
    expect(await statusesServed(server, hitId)).toEqual([]);
  });

  it('gives a request without X-Request-Id a new one (a UUID), the one kv-server logs', async () => {
    const miss = await get(haproxy.baseUrl, '/key/gamma');
    const hit = await get(haproxy.baseUrl, '/key/gamma');
    expect([miss.cacheStatus, hit.cacheStatus]).toEqual([null, 'HIT']);
    expect(miss.requestId).toMatch(UUID);
    expect(hit.requestId).toMatch(UUID);
    expect(hit.requestId).not.toBe(miss.requestId);
    expect(await statusesServed(server, miss.requestId!)).toEqual([200]);
  });

  it('answers If-None-Match from its cache with a 304 that keeps no-cache, unless the request says no-cache', async () => {
    const etag = (await fetch(`${haproxy.baseUrl}/keys/alpha`)).headers.get('etag')!;
    const id = newId('conditional');
    // Not fetch: it adds "Cache-Control: no-cache" to a conditional request, which HAProxy
    // rightly answers from kv-server.
    const conditional = await plainGet(`${haproxy.baseUrl}/keys/alpha`, { 'if-none-match': etag, 'x-request-id': id });
    expect({
      status: conditional.statusCode,
      cacheStatus: conditional.headers['x-cache-status'],
      etag: conditional.headers.etag,
      cacheControl: conditional.headers['cache-control'],
    }).toEqual({ status: 304, cacheStatus: 'HIT', etag, cacheControl: 'no-cache' });
    expect(await statusesServed(server, id)).toEqual([]);

    const noCacheId = newId('no-cache');
    const noCache = await plainGet(`${haproxy.baseUrl}/keys/alpha`, {
      'if-none-match': etag,
      'cache-control': 'no-cache',
      'x-request-id': noCacheId,
    });
    expect({ status: noCache.statusCode, cacheStatus: noCache.headers['x-cache-status'] }).toEqual({
      status: 304,
      cacheStatus: undefined,
    });
    expect(await statusesServed(server, noCacheId)).toEqual([304]);
  });

  it('always asks kv-server for the raw value, which it cannot tell apart by Accept', async () => {
    for (const id of [newId('raw'), newId('raw')]) {
      expect(await get(haproxy.baseUrl, '/keys/beta', { accept: 'text/plain', 'x-request-id': id })).toMatchObject({
        status: 200,
        body: 'two',
        cacheStatus: null,
      });
      expect(await statusesServed(server, id)).toEqual([200]);
    }
    await get(haproxy.baseUrl, '/keys/beta');
    expect(await get(haproxy.baseUrl, '/keys/beta')).toMatchObject({ body: '{"beta":"two"}', cacheStatus: 'HIT' });
    expect(await get(haproxy.baseUrl, '/keys/beta', { accept: 'text/plain' })).toMatchObject({
      body: 'two',
      cacheStatus: null,
    });
  });

  it('stores no miss, nor an answer to a request with credentials', async () => {
    for (const id of [newId('absent'), newId('absent')]) {
      expect(await get(haproxy.baseUrl, '/keys/absent', { 'x-request-id': id })).toMatchObject({ status: 404 });
      expect(await statusesServed(server, id)).toEqual([404]);
    }
    for (const id of [newId('credentials'), newId('credentials')]) {
      const headers = { authorization: 'Bearer some-key', 'x-request-id': id };
      expect(await get(haproxy.baseUrl, '/keys/gamma', headers)).toMatchObject({ status: 200, cacheStatus: null });
      expect(await statusesServed(server, id)).toEqual([200]);
    }
  });

  it('serves the new value once the stored one has expired after a reload', async () => {
    await get(haproxy.baseUrl, '/keys/alpha');
    await writeFile(dataFile, 'alpha second-value\nbeta two\ngamma three\n');
    server.child.kill('SIGHUP');
    await waitFor(async () => (await get(server.baseUrl, '/keys/alpha')).body === '{"alpha":"second-value"}');
    await sleep(PAST_FRESHNESS_MS);
    const id = newId('refresh');
    expect(await get(haproxy.baseUrl, '/keys/alpha', { 'x-request-id': id })).toMatchObject({
      status: 200,
      body: '{"alpha":"second-value"}',
      cacheStatus: null,
    });
    expect(await statusesServed(server, id)).toEqual([200]);
  });

  it('is what docs/caching-proxies.md shows', async () => {
    const block = `\`\`\`haproxy\n${await readExample(HAPROXY_EXAMPLE)}\`\`\``;
    expect({ shownVerbatim: (await cachingProxiesDoc()).includes(block) }).toEqual({ shownVerbatim: true });
  });
});

/** A GET with exactly these headers (and Host), through node:http. */
function plainGet(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers }, (response) => {
      response.resume();
      response.once('end', () => resolve(response));
    });
    request.once('error', reject);
  });
}
