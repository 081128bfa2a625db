import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetService } from '../src/dataset/dataset.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const DATA = 'alpha 1\nbeta 2\n';
const KEY_ONE = 'api-key-one-3c9d';
const KEY_TWO = 'api-key-two-8e1a';
const ADMIN_TOKEN = 'admin-token-5b7f';

type Method = 'GET' | 'HEAD' | 'POST';
/** Every route access control covers, as a client would call it. */
const KEY_ROUTES: [Method, string][] = [
  ['GET', '/keys/alpha'],
  ['HEAD', '/keys/alpha'],
  ['GET', '/key/alpha'],
  ['HEAD', '/key/alpha'],
  ['GET', '/keys'],
  ['GET', '/keys?prefix=a'],
  ['POST', '/keys/_mget'],
  // The router percent-decodes the path: this is the listing too, and must not slip through.
  ['GET', '/%6Beys?prefix=a'],
];

function call(testApp: TestApp, method: Method, url: string, authorization?: string) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return testApp.app.inject({
    method,
    url,
    headers,
    ...(method === 'POST' ? { payload: { keys: ['alpha'] } } : {}),
  });
}

function expectUnauthorized(response: Awaited<ReturnType<typeof call>>, method: Method) {
  expect(response.statusCode).toBe(401);
  expect(response.headers['www-authenticate']).toBe('Bearer');
  expect(response.headers['cache-control']).toBe('no-store');
  if (method === 'HEAD') expect(response.body).toBe('');
  else expect(response.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
}

describe('access control off (no KV_API_KEYS)', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp(DATA);
  });
  afterAll(() => testApp.close());

  it.each(KEY_ROUTES)('%s %s needs no Authorization header', async (method, url) => {
    expect((await call(testApp, method, url)).statusCode).toBe(200);
  });
});

describe('access control with KV_API_KEYS', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp(DATA, { KV_API_KEYS: ` ${KEY_ONE} ,${KEY_TWO},`, KV_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(() => testApp.close());

  it.each(KEY_ROUTES)('%s %s is 401 without a key and 200 with one', async (method, url) => {
    expectUnauthorized(await call(testApp, method, url), method);
    expect((await call(testApp, method, url, `Bearer ${KEY_ONE}`)).statusCode).toBe(200);
  });

  it.each([
    ['a wrong key', 'Bearer wrong-key'],
    ['a key with a suffix', `Bearer ${KEY_ONE}x`],
    ['a prefix of a key', `Bearer ${KEY_ONE.slice(0, -1)}`],
    ['another scheme', `Basic ${KEY_ONE}`],
    ['no scheme', KEY_ONE],
    ['a scheme without a token', 'Bearer'],
    ['the admin token', `Bearer ${ADMIN_TOKEN}`],
    ['two tokens', `Bearer ${KEY_ONE} ${KEY_TWO}`],
  ])('answers 401 for %s', async (_case, authorization) => {
    expectUnauthorized(await call(testApp, 'GET', '/keys/alpha', authorization), 'GET');
  });

  it.each([`Bearer ${KEY_TWO}`, `bearer ${KEY_ONE}`, `BEARER ${KEY_TWO}`, `  Bearer   ${KEY_ONE}  `])(
    'accepts every configured key, the scheme in any case: %p',
    async (authorization) => {
      const response = await call(testApp, 'GET', '/keys/alpha', authorization);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ alpha: '1' });
    },
  );

  it('still answers 404 for a missing key and 400 for a bad one, once authorised', async () => {
    expect((await call(testApp, 'GET', '/keys/nope', `Bearer ${KEY_ONE}`)).statusCode).toBe(404);
    expect((await call(testApp, 'GET', '/keys/a%20b', `Bearer ${KEY_ONE}`)).statusCode).toBe(400);
  });

  it.each([
    ['GET', '/health/live'],
    ['GET', '/health/ready'],
    ['GET', '/dataset'],
    ['GET', '/metrics'],
    ['GET', '/docs'],
    ['GET', '/docs/openapi.json'],
  ] as const)('leaves %s %s open', async (method, url) => {
    expect((await call(testApp, method, url)).statusCode).toBe(200);
  });

  it('leaves /admin/reload to its own token, and paths that only look alike alone', async () => {
    expect((await call(testApp, 'POST', '/admin/reload', `Bearer ${ADMIN_TOKEN}`)).statusCode).toBe(200);
    expect((await call(testApp, 'POST', '/admin/reload', `Bearer ${KEY_ONE}`)).statusCode).toBe(401);
    expect((await call(testApp, 'GET', '/keysfoo')).statusCode).toBe(404);
  });
});

describe('access control with KV_API_KEYS_FILE', () => {
  let testApp: TestApp;
  let keysDir: string;
  let keysFile: string;
  const status = async (key: string) => (await call(testApp, 'GET', '/keys/alpha', `Bearer ${key}`)).statusCode;
  const writeKeys = async (content: string) => {
    await writeFile(`${keysFile}.next`, content);
    await rename(`${keysFile}.next`, keysFile);
  };

  beforeEach(async () => {
    keysDir = await mkdtemp(join(tmpdir(), 'kv-api-keys-'));
    keysFile = join(keysDir, 'api-keys');
    await writeFile(keysFile, `${KEY_ONE}\n\n  ${KEY_TWO}  \n`);
    testApp = await startTestApp(DATA, { KV_API_KEYS_FILE: keysFile, KV_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterEach(async () => {
    await testApp.close();
    await rm(keysDir, { recursive: true, force: true });
  });

  it('takes one key per line, trimmed', async () => {
    expect(await status(KEY_ONE)).toBe(200);
    expect(await status(KEY_TWO)).toBe(200);
    expect(await status('')).toBe(401);
  });

  it('reads the file again on POST /admin/reload: a rotated key works, a removed one is refused', async () => {
    await writeKeys(`${KEY_TWO}\nrotated-key-9d0c\n`);
    const reload = await call(testApp, 'POST', '/admin/reload', `Bearer ${ADMIN_TOKEN}`);
    expect(reload.statusCode).toBe(200);
    expect(await status(KEY_ONE)).toBe(401);
    expect(await status(KEY_TWO)).toBe(200);
    expect(await status('rotated-key-9d0c')).toBe(200);
  });

  it('reads it again even when the data reload fails: revoking a key does not wait for good data', async () => {
    await writeKeys('rotated-key-9d0c\n');
    await rename(testApp.dataFile, `${testApp.dataFile}.gone`);
    expect((await testApp.app.get(DatasetService).reload('test')).outcome).toBe('failure');
    expect(await status(KEY_ONE)).toBe(401);
    expect(await status('rotated-key-9d0c')).toBe(200);
  });

  it.each([
    ['holds no key', async () => writeKeys(' \n\n')],
    ['is gone', async () => writeKeys('x').then(() => rename(keysFile, `${keysFile}.gone`))],
  ])('keeps the keys in force when the file %s on reload', async (_case, breakFile) => {
    await breakFile();
    expect((await testApp.app.get(DatasetService).reload('test')).outcome).toBe('success');
    expect(await status(KEY_ONE)).toBe(200);
    expect(await status(KEY_TWO)).toBe(200);
  });
});
