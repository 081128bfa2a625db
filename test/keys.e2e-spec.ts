import { startTestApp, type TestApp } from './support/test-app.js';

const longKey = 'k'.repeat(4096);
const longValue = 'v'.repeat(1024 * 1024);
const data = [
  'alpha 1',
  'a/b slash in key',
  'café crème brûlée',
  'plus+sign yes',
  'percent%41 literal percent',
  'spaces   padded value  ',
  'empty ',
  'tab\tseparated\tvalue',
  'emoji😀 grin',
  `${longKey} long key`,
  `big ${longValue}`,
  'dup first',
  'dup second',
  '',
].join('\n');

describe('GET /keys/{key} (e2e, inject)', () => {
  let testApp: TestApp;
  const get = (url: string, headers: Record<string, string> = {}) =>
    testApp.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    testApp = await startTestApp(data);
  });
  afterAll(() => testApp.close());

  it('answers 200 with {"<key>": "<value>"} as JSON', async () => {
    const response = await get('/keys/alpha');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers.vary).toBe('Accept');
    expect(response.json()).toEqual({ alpha: '1' });
    expect(response.body).toBe('{"alpha":"1"}');
  });

  it('answers 404 "Key not found" in the error envelope for a missing key', async () => {
    const response = await get('/keys/missing');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers.vary).toBe('Accept');
    expect(response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'Key not found' });
  });

  it.each([
    ['/keys/a%2Fb', 'a/b'],
    ['/keys/a%2fb', 'a/b'],
    ['/keys/a/b', 'a/b'],
    ['/keys/caf%C3%A9', 'café'],
    ['/keys/plus+sign', 'plus+sign'],
    ['/keys/plus%2Bsign', 'plus+sign'],
    ['/keys/percent%2541', 'percent%41'],
    ['/keys/emoji%F0%9F%98%80', 'emoji😀'],
    ['/keys/alpha?ignored=1&x', 'alpha'],
    ['/keys/alpha?', 'alpha'],
    ['/%6Beys/alpha', 'alpha'],
    ['/%6bey/a%2Fb', 'a/b'],
  ])('%s looks up %p', async (url, key) => {
    const response = await get(url);
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual([key]);
  });

  it('keeps values byte for byte, including padding, tabs and the empty value', async () => {
    expect((await get('/keys/spaces')).json()).toEqual({ spaces: '  padded value  ' });
    expect((await get('/keys/tab')).json()).toEqual({ tab: 'separated\tvalue' });
    expect((await get('/keys/empty')).json()).toEqual({ empty: '' });
  });

  it('serves the later of two duplicate lines', async () => {
    expect((await get('/keys/dup')).json()).toEqual({ dup: 'second' });
  });

  it('serves a 4 KiB key and a 1 MiB value', async () => {
    expect((await get(`/keys/${longKey}`)).json()).toEqual({ [longKey]: 'long key' });
    const big = await get('/keys/big');
    expect(big.statusCode).toBe(200);
    expect(big.json()).toEqual({ big: longValue });
  });

  it.each([
    ['/keys/%zz', 'invalid percent-encoding'],
    ['/keys/%E0%A4', 'truncated UTF-8'],
    ['/keys/%FF', 'a byte that is never UTF-8'],
    ['/keys/%C0%AF', 'an overlong encoding'],
    ['/keys/a%20b', 'an encoded space'],
    ['/keys/a%09b', 'an encoded tab'],
    ['/keys/a%C2%A0b', 'a no-break space'],
    ['/keys/a%E2%80%A8b', 'a line separator'],
    ['/keys/', 'an empty key'],
    ['/keys/?q=1', 'an empty key before a query'],
  ])('%s is 400 (%s)', async (url) => {
    const response = await get(url);
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    expect(body.message).not.toMatch(/at |\/src\/|node_modules/);
  });

  describe('Accept: text/plain', () => {
    it('gives the raw value byte for byte', async () => {
      const response = await get('/keys/caf%C3%A9', { accept: 'text/plain' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.headers.vary).toBe('Accept');
      expect(response.rawPayload).toEqual(Buffer.from('crème brûlée'));
    });

    it('gives the empty value as an empty body', async () => {
      const response = await get('/keys/empty', { accept: 'text/plain' });
      expect(response.statusCode).toBe(200);
      expect(response.rawPayload.length).toBe(0);
    });

    it('follows q-values, and answers JSON on a tie or when nothing fits', async () => {
      const typeFor = async (accept: string) => (await get('/keys/alpha', { accept })).headers['content-type'];
      expect(await typeFor('application/json;q=0.5, text/plain')).toBe('text/plain; charset=utf-8');
      expect(await typeFor('text/plain, application/json')).toBe('application/json; charset=utf-8');
      expect(await typeFor('text/plain;q=0.4, application/json;q=0.5')).toBe('application/json; charset=utf-8');
      expect(await typeFor('image/png')).toBe('application/json; charset=utf-8');
    });

    it('answers a miss with the JSON envelope', async () => {
      const response = await get('/keys/missing', { accept: 'text/plain' });
      expect(response.statusCode).toBe(404);
      expect(response.json().message).toBe('Key not found');
    });
  });

  describe('HEAD', () => {
    it.each([['/keys/alpha'], ['/keys/missing'], ['/keys/%zz'], ['/key/alpha']])(
      "%s answers with GET's status and headers and no body",
      async (url) => {
        const head = await testApp.app.inject({ method: 'HEAD', url });
        const getResponse = await get(url);
        expect(head.statusCode).toBe(getResponse.statusCode);
        expect(head.headers['content-type']).toBe(getResponse.headers['content-type']);
        expect(head.headers['content-length']).toBe(getResponse.headers['content-length']);
        expect(head.body).toBe('');
      },
    );
  });

  describe("GET /key/{key}, the original service's path", () => {
    it('behaves like /keys/{key}', async () => {
      for (const [url, accept] of [
        ['alpha', undefined],
        ['a%2Fb', undefined],
        ['a/b', 'text/plain'],
        ['missing', undefined],
        ['%zz', undefined],
        ['a%20b', undefined],
      ] as const) {
        const headers: Record<string, string> = accept ? { accept } : {};
        const viaAlias = await get(`/key/${url}`, headers);
        const viaKeys = await get(`/keys/${url}`, headers);
        expect(viaAlias.statusCode).toBe(viaKeys.statusCode);
        expect(viaAlias.headers['content-type']).toBe(viaKeys.headers['content-type']);
        expect(viaAlias.body).toBe(viaKeys.body);
      }
    });
  });

  describe('the error envelope', () => {
    it('is used for unknown routes', async () => {
      const response = await get('/nothing/here');
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    });

    it('is used for a method a route does not have', async () => {
      const response = await testApp.app.inject({ method: 'DELETE', url: '/keys/alpha' });
      expect(response.statusCode).toBe(404);
      expect(Object.keys(response.json()).sort()).toEqual(['error', 'message', 'statusCode']);
    });
  });
});
