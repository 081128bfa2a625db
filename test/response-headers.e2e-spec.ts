import { startTestApp, type TestApp } from './support/test-app.js';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

describe('X-Request-Id (e2e, inject)', () => {
  let testApp: TestApp;
  const requestId = async (headers: Record<string, string> = {}, url = '/keys/alpha') =>
    (await testApp.app.inject({ url, headers })).headers['x-request-id'];

  beforeAll(async () => {
    testApp = await startTestApp('alpha 1\n');
  });
  afterAll(() => testApp.close());

  it('is made for a request without one, different for every request', async () => {
    const ids = [await requestId(), await requestId(), await requestId({}, '/nope')];
    for (const id of ids) expect(id).toMatch(/^[\w-]{3,40}$/);
    expect(new Set(ids).size).toBe(3);
  });

  it.each(['caller-chose-this-1', '0af7651916cd43dd8448eb211c80319c', 'a'.repeat(200), 'with:punctuation/=+.~!'])(
    "is the caller's own when acceptable: %p",
    async (given) => {
      expect(await requestId({ 'x-request-id': given })).toBe(given);
    },
  );

  it.each([
    ['too long', 'a'.repeat(201)],
    ['holding a space', 'two words'],
    ['not ASCII', 'café'],
    ['holding a control character', 'a\u0001b'],
  ])("is replaced when the caller's is %s", async (_case, given) => {
    const id = await requestId({ 'x-request-id': given });
    expect(id).toEqual(expect.any(String));
    expect(id).not.toBe(given);
    expect(id).toMatch(/^[\w-]{3,40}$/);
  });

  it('is returned on errors too, including URLs the router cannot decode', async () => {
    expect(await requestId({ 'x-request-id': 'on-a-404' }, '/keys/nope')).toBe('on-a-404');
    expect(await requestId({ 'x-request-id': 'on-a-bad-url' }, '/keys/%ZZ')).toBe('on-a-bad-url');
  });
});

describe('security headers (e2e, inject)', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp('alpha 1\n', { KV_API_KEYS: 'the-key' });
  });
  afterAll(() => testApp.close());

  const bearer = { authorization: 'Bearer the-key' };
  it.each([
    ['a look-up', 'GET', '/keys/alpha', bearer, 200],
    ['a HEAD look-up', 'HEAD', '/keys/alpha', bearer, 200],
    ['a miss', 'GET', '/key/nope', bearer, 404],
    ['a refused request', 'GET', '/keys/alpha', {}, 401],
    ['an undecodable URL', 'GET', '/keys/%ZZ', bearer, 400],
    ['an undecodable URL without credentials', 'GET', '/keys/%ZZ', {}, 401],
    ['an unknown route', 'GET', '/nowhere', {}, 404],
    ['a body that is not JSON', 'POST', '/keys/_mget', { ...bearer, 'content-type': 'text/plain' }, 415],
    ['health', 'GET', '/health/ready', {}, 200],
    ['metrics', 'GET', '/metrics', {}, 200],
    ['the documentation', 'GET', '/docs', {}, 200],
  ] as const)('are on %s (%s %s), and no X-Powered-By', async (_case, method, url, headers, status) => {
    const response = await testApp.app.inject({ method, url, headers, payload: method === 'POST' ? 'x' : undefined });
    expect(response.statusCode).toBe(status);
    expect(response.headers).toMatchObject(SECURITY_HEADERS);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});
