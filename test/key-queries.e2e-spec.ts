import { startTestApp, type TestApp } from './support/test-app.js';

const entries: [string, string][] = [
  ['a', '1'],
  ['ab', '2'],
  ['abc', '3'],
  ['b', '4'],
  ['café', '5'],
  ['cafe', '6'],
  ['z', '7'],
  ['ÿ', '8'],
  ['😀', '9'],
  ['\uffff', '10'],
  ['__proto__', '11'],
  ['plus+sign', '12'],
];
/**
 * The keys in UTF-8 byte order, written out by hand (the store sorts with the same
 * comparison a computed list would use): '_' (5F) before the letters; 'cafe' before
 * 'café' (65 before C3); then 'ÿ' (C3 BF), U+FFFF (EF BF BF), and the astral '😀'
 * (F0 9F 98 80) last, although JavaScript's UTF-16 comparison puts it before U+FFFF.
 */
const byteOrder = ['__proto__', 'a', 'ab', 'abc', 'b', 'cafe', 'café', 'plus+sign', 'z', 'ÿ', '\uffff', '😀'];

describe('POST /keys/_mget and GET /keys (e2e)', () => {
  let testApp: TestApp;
  let version: string;
  beforeAll(async () => {
    testApp = await startTestApp(entries.map(([key, value]) => `${key} ${value}\n`).join(''));
    version = (await testApp.app.inject({ url: '/dataset' })).json().version;
  });
  afterAll(() => testApp.close());

  const mget = (payload: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    testApp.app.inject({
      method: 'POST',
      url: '/keys/_mget',
      headers,
      payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    });

  describe('POST /keys/_mget', () => {
    it('answers found and missing, missing in request order, each key once at its first position', async () => {
      const response = await mget({ keys: ['b', 'nope', 'a', 'b', 'zz', 'nope', '😀', '__proto__'] });
      expect(response.statusCode).toBe(200);
      expect(response.headers['kv-dataset-version']).toBe(version);
      expect(response.json()).toEqual({
        found: { b: '4', a: '1', '😀': '9', ['__proto__']: '11' },
        missing: ['nope', 'zz'],
      });
      expect(Object.keys(response.json().found)).toContain('__proto__');
    });

    it('reports a key that holds whitespace as missing', async () => {
      expect((await mget({ keys: ['a b', 'a\tb', 'a'] })).json()).toEqual({
        found: { a: '1' },
        missing: ['a b', 'a\tb'],
      });
    });

    it('accepts 1,000 keys and a +json content type', async () => {
      const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
      const response = await mget({ keys }, { 'content-type': 'application/vnd.kv+json; charset=utf-8' });
      expect(response.statusCode).toBe(200);
      expect(response.json().missing).toHaveLength(1000);
    });

    // One message per field: the first rule broken, shape before size before elements.
    it.each([
      ['no keys', { keys: [] }, 'keys must hold at least 1 key'],
      ['1,001 keys', { keys: Array.from({ length: 1001 }, (_, i) => `k${i}`) }, 'keys must hold at most 1000 keys'],
      ['a number', { keys: ['a', 1] }, 'keys must contain only strings'],
      ['a number alone', { keys: [1] }, 'keys must contain only strings'],
      ['an empty key', { keys: ['a', ''] }, 'keys must not contain an empty string'],
      ['a string for keys', { keys: 'a' }, 'keys must be an array of strings'],
      ['null for keys', { keys: null }, 'keys must be an array of strings'],
      ['no keys field', {}, 'keys must be an array of strings'],
      ['an unknown field', { keys: ['a'], extra: true }, 'property extra should not exist'],
      [
        'two fields wrong',
        { keys: 'a', extra: true },
        'property extra should not exist; keys must be an array of strings',
      ],
    ])('refuses a body with %s with 400 saying what is wrong, once', async (_label, body, message) => {
      const response = await mget(body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message });
    });

    it.each([['{"keys": ['], ['not json'], ['']])('refuses a body that is not JSON (%p) with 400', async (body) => {
      const response = await mget(body);
      expect(response.statusCode).toBe(400);
      expect(Object.keys(response.json()).sort()).toEqual(['error', 'message', 'statusCode']);
    });

    it('refuses JSON that is not an object with 400', async () => {
      for (const body of ['null', '[]', '"keys"', '42']) {
        const response = await mget(body);
        expect({ body, status: response.statusCode }).toEqual({ body, status: 400 });
      }
    });

    it.each([
      ['nested 5,000 deep', '{"keys":'.repeat(5000), /nested more than 16 levels/],
      ['an array nested 200 deep', `{"keys": ${'['.repeat(200)}${']'.repeat(200)}}`, /nested more than 16 levels/],
      ['100,000 elements', JSON.stringify({ keys: Array.from({ length: 100_000 }, () => 0) }), /more than 2048/],
      ['a __proto__ field', '{"keys": ["a"], "__proto__": {"polluted": true}}', /Body field "__proto__"/],
      ['a constructor field', '{"keys": ["a"], "constructor": {"prototype": {}}}', /Body field "constructor"/],
    ])('refuses a hostile body (%s) with 400 before validation, naming the problem', async (_label, body, expected) => {
      const response = await mget(body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(expected),
      });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('refuses a body over 1 MiB with 413', async () => {
      const response = await mget({ keys: ['x'.repeat(1024 * 1024)] });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    });

    it.each<[Record<string, string>, string]>([
      [{}, 'no Content-Type'],
      [{ 'content-type': 'text/plain' }, 'text/plain'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'a form'],
    ])('refuses %p (%s) with 415', async (headers) => {
      const response = await mget('{"keys":["a"]}', headers);
      expect(response.statusCode).toBe(415);
      expect(response.json()).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
    });
  });

  describe('GET /keys', () => {
    const list = (query: string) => testApp.app.inject({ method: 'GET', url: `/keys${query}` });

    it('lists keys in ascending UTF-8 byte order, 100 by default, with the dataset version', async () => {
      const response = await list('');
      expect(response.statusCode).toBe(200);
      expect(response.headers['kv-dataset-version']).toBe(version);
      expect(response.json()).toEqual({ keys: byteOrder, nextCursor: null });
    });

    it('pages through every key exactly once, across non-ASCII keys', async () => {
      for (const limit of [1, 2, 3, 5, 11]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const response = await list(`?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
          expect(response.statusCode).toBe(200);
          const page: { keys: string[]; nextCursor: string | null } = response.json();
          expect(page.keys.length).toBeLessThanOrEqual(limit);
          seen.push(...page.keys);
          cursor = page.nextCursor;
        } while (cursor !== null);
        expect(seen).toEqual(byteOrder);
      }
    });

    it.each([
      ['?prefix=a', ['a', 'ab', 'abc']],
      ['?prefix=ab', ['ab', 'abc']],
      ['?prefix=caf', ['cafe', 'café']],
      ['?prefix=caf%C3%A9', ['café']],
      ['?prefix=%F0%9F', []],
      ['?prefix=%F0%9F%98%80', ['😀']],
      ['?prefix=plus%2B', ['plus+sign']],
      ['?prefix=plus+', []],
      ['?prefix=q', []],
      ['?prefix=', byteOrder],
    ])('%s lists %p', async (query, expected) => {
      expect((await list(query)).json()).toEqual({ keys: expected, nextCursor: null });
    });

    it('pages within a prefix', async () => {
      const first = (await list('?prefix=a&limit=2')).json();
      expect(first.keys).toEqual(['a', 'ab']);
      const second = (await list(`?prefix=a&limit=2&cursor=${first.nextCursor}`)).json();
      expect(second).toEqual({ keys: ['abc'], nextCursor: null });
    });

    it.each([
      ['?limit=0', 'limit must be an integer from 1 to 1000'],
      ['?limit=1001', 'limit must be an integer from 1 to 1000'],
      ['?limit=abc', 'limit must be an integer from 1 to 1000'],
      ['?limit=1.5', 'limit must be an integer from 1 to 1000'],
      ['?limit=1&limit=2', 'limit must be given once'],
      ['?prefix=a&prefix=b', 'prefix must be given once'],
      ['?cursor=a&cursor=b', 'cursor must be given once'],
      ['?cursor=***', 'cursor must be the nextCursor of a previous page'],
      ['?cursor=', 'cursor must be the nextCursor of a previous page'],
      ['?cursor=_w', 'cursor must be the nextCursor of a previous page'],
      ['?unknown=1', 'property unknown should not exist'],
    ])('%s is 400, with one message for the one problem', async (query, message) => {
      const response = await list(query);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ statusCode: 400, error: 'Bad Request', message });
    });
  });
});
