import { startTestApp, type TestApp } from './support/test-app.js';

const data = 'alpha 1\nbeta two words\n';

describe('HTTP caching of look-ups (e2e)', () => {
  let testApp: TestApp;
  let other: TestApp;
  const get = (app: TestApp, url: string, headers: Record<string, string> = {}) =>
    app.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    testApp = await startTestApp(data);
    other = await startTestApp(data, { KV_CACHE_MAX_AGE: '300' });
  });
  afterAll(async () => {
    await testApp.close();
    await other.close();
  });

  it('sends a strong ETag that depends on the content only, and differs between JSON and raw', async () => {
    const json = await get(testApp, '/keys/alpha');
    const raw = await get(testApp, '/keys/alpha', { accept: 'text/plain' });
    expect(json.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(raw.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(json.headers.etag).not.toBe(raw.headers.etag);
    // Another replica (another process, another path) with the same file: same tags.
    expect((await get(other, '/keys/alpha')).headers.etag).toBe(json.headers.etag);
    expect((await get(other, '/key/alpha', { accept: 'text/plain' })).headers.etag).toBe(raw.headers.etag);
    expect((await get(testApp, '/keys/beta')).headers.etag).not.toBe(json.headers.etag);
  });

  it('answers If-None-Match with 304, carrying ETag, Vary, Cache-Control and the dataset version', async () => {
    const first = await get(testApp, '/keys/alpha');
    const etag = first.headers.etag as string;
    const weak = `W/${etag}`;
    for (const ifNoneMatch of [etag, weak, '*', `"nope", ${etag}`, `"x", ${weak}`]) {
      const response = await get(testApp, '/keys/alpha', { 'if-none-match': ifNoneMatch });
      expect({ ifNoneMatch, status: response.statusCode }).toEqual({ ifNoneMatch, status: 304 });
      expect(response.body).toBe('');
      expect(response.headers.etag).toBe(etag);
      expect(response.headers.vary).toBe('Accept');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['kv-dataset-version']).toBe(first.headers['kv-dataset-version']);
    }
  });

  it('answers 200 when the tag does not match, or belongs to the other representation', async () => {
    const json = await get(testApp, '/keys/alpha');
    expect((await get(testApp, '/keys/alpha', { 'if-none-match': '"other"' })).statusCode).toBe(200);
    const raw = await get(testApp, '/keys/alpha', {
      accept: 'text/plain',
      'if-none-match': json.headers.etag as string,
    });
    expect(raw.statusCode).toBe(200);
    expect(raw.body).toBe('1');
  });

  it('answers 404 for a missing key even with If-None-Match: *', async () => {
    const response = await get(testApp, '/keys/missing', { 'if-none-match': '*' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('sends Cache-Control from KV_CACHE_MAX_AGE on 200 and 304, no-store on 4xx', async () => {
    expect((await get(testApp, '/keys/alpha')).headers['cache-control']).toBe('no-cache');
    const hit = await get(other, '/keys/alpha');
    expect(hit.headers['cache-control']).toBe('public, max-age=300');
    const notModified = await get(other, '/keys/alpha', { 'if-none-match': hit.headers.etag as string });
    expect(notModified.headers['cache-control']).toBe('public, max-age=300');
    expect((await get(other, '/keys/missing')).headers['cache-control']).toBe('no-store');
    expect((await get(other, '/keys/%zz')).headers['cache-control']).toBe('no-store');
    expect((await get(other, '/keys/a%20b')).headers['cache-control']).toBe('no-store');
  });

  it('names the dataset version on 200, 304 and 404 of /keys, /key, _mget and the listing', async () => {
    const version = (await get(testApp, '/dataset')).json().version;
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    const hit = await get(testApp, '/keys/alpha');
    const responses = [
      hit,
      await get(testApp, '/key/alpha'),
      await get(testApp, '/keys/missing'),
      await get(testApp, '/key/missing'),
      await get(testApp, '/keys/alpha', { 'if-none-match': hit.headers.etag as string }),
      await get(testApp, '/keys?limit=1'),
      await testApp.app.inject({
        method: 'POST',
        url: '/keys/_mget',
        headers: { 'content-type': 'application/json' },
        payload: '{"keys":["alpha"]}',
      }),
    ];
    for (const response of responses) expect(response.headers['kv-dataset-version']).toBe(version);
  });
});
