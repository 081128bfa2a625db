import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientRolesService } from '../src/access/client-roles.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import {
  ADMIN_TOKEN,
  BILLING_KEY,
  bearer,
  DATA,
  HR_KEY,
  OPS_KEY,
  RULES,
  sha256,
} from './support/client-roles-fixture.js';

/** Client roles (KV_ACCESS_FILE) through the application: who gets what, and why not. */

describe('client roles', () => {
  let testApp: TestApp;
  let dir: string;
  let accessFile: string;
  const get = (url: string, key?: string) => testApp.app.inject({ url, headers: key === undefined ? {} : bearer(key) });
  const mget = (keys: unknown, key?: string) =>
    testApp.app.inject({
      method: 'POST',
      url: '/keys/_mget',
      headers: key === undefined ? {} : bearer(key),
      payload: { keys },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-roles-'));
    accessFile = join(dir, 'access.yaml');
    await writeFile(accessFile, RULES);
    testApp = await startTestApp(DATA, { KV_ACCESS_FILE: accessFile, KV_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await testApp.close();
    await rm(dir, { recursive: true, force: true });
  });

  type Method = 'GET' | 'HEAD' | 'POST';
  // Three values each: Jest passes a test with fewer values a `done` callback in their place.
  const PROTECTED: [Method, string, string | undefined][] = [
    ['GET', '/keys/hr/employee-7', undefined],
    ['HEAD', '/keys/hr/employee-7', undefined],
    ['GET', '/key/hr/employee-7', undefined],
    ['HEAD', '/key/hr/employee-7', undefined],
    ['GET', '/keys', undefined],
    ['HEAD', '/keys', undefined],
    ['GET', '/keys?prefix=hr/', undefined],
    ['POST', '/keys/_mget', '{"keys": ["hr/employee-7"]}'],
    // What else is wrong must not show before the credentials are checked.
    ['GET', '/keys/%ZZ', undefined],
    ['GET', '/keys/%FF', undefined],
    ['GET', '/keys/a%20b', undefined],
    ['GET', '/keys//x', undefined],
    ['GET', '/%6Beys/x', undefined],
    ['GET', '/%6beys?prefix=hr/', undefined],
    ['GET', '/keys/x?', undefined],
    ['GET', '/keys?limit=0&cursor=!', undefined],
    ['POST', '/keys/_mget', '{"keys": '],
    ['POST', '/keys/_mget', '{"keys": []}'],
  ];

  it.each(PROTECTED)('%s %s (body %p): 401 without a key, and with an unknown one', async (method, url, payload) => {
    for (const headers of [{}, bearer('unknown-key'), { authorization: 'Basic x' }, bearer(sha256(HR_KEY))]) {
      const response = await testApp.app.inject({
        method,
        url,
        headers: { ...headers, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.headers['cache-control']).toBe('no-store');
      if (method !== 'HEAD') expect(response.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
  });

  it('POST /keys/_mget: 401 before a body over 1 MiB (413) or a non-JSON type (415) shows', async () => {
    const oversized = JSON.stringify({ keys: ['x'.repeat(1_200_000)] });
    const cases = [
      { 'content-type': 'application/json', payload: oversized },
      { 'content-type': 'text/plain', payload: '{"keys": ["hr/employee-7"]}' },
    ];
    for (const { payload, ...type } of cases) {
      for (const headers of [{}, bearer('unknown-key')]) {
        const response = await testApp.app.inject({
          method: 'POST',
          url: '/keys/_mget',
          headers: { ...headers, ...type },
          payload,
        });
        expect(response.statusCode).toBe(401);
      }
      // A known client gets the body's own answer.
      const known = await testApp.app.inject({
        method: 'POST',
        url: '/keys/_mget',
        headers: { ...bearer(BILLING_KEY), ...type },
        payload,
      });
      expect(known.statusCode).toBe(type['content-type'] === 'text/plain' ? 415 : 413);
    }
  });

  it('POST /admin/reload: 401 without a key or with an unknown one', async () => {
    for (const headers of [{}, bearer('unknown-key')]) {
      const response = await testApp.app.inject({ method: 'POST', url: '/admin/reload', headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('answers an unrouted spelling (/KEYS/x) 404 to everyone alike: it says nothing about the data', async () => {
    const anonymous = await get('/KEYS/x');
    expect(anonymous.statusCode).toBe(404);
    expect((await get('/KEYS/x', HR_KEY)).body).toBe(anonymous.body);
  });

  it('serves a client the keys under its prefixes, on both look-up paths', async () => {
    expect((await get('/keys/hr/employee-7', HR_KEY)).json()).toEqual({ 'hr/employee-7': 'Ada' });
    expect((await get('/key/shared%2Fholidays', HR_KEY)).statusCode).toBe(200);
    expect((await get('/keys/billing/invoice-1001', BILLING_KEY)).statusCode).toBe(200);
    expect((await get('/keys/billing/nope', BILLING_KEY)).statusCode).toBe(404);
  });

  it.each([
    [HR_KEY, '/keys/billing/invoice-1001'],
    [HR_KEY, '/key/billing/invoice-1001'],
    [BILLING_KEY, '/keys/billing-archive/2019'],
    [BILLING_KEY, '/keys/hr/nope'],
    [HR_KEY, '/keys/HR/employee-7'],
    [HR_KEY, '/keys/Hr%2Femployee-7'],
    [HR_KEY, '/keys/%2568r/employee-7'],
    [HR_KEY, '/keys/%252Fhr/employee-7'],
    [HR_KEY, '/keys/shared'],
    [OPS_KEY, '/keys/hr/employee-7'],
  ])('403 for %s asking %s, in the envelope, whether or not the key exists', async (key, url) => {
    const response = await get(url, key);
    expect(response.statusCode).toBe(403);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.any(String) });
  });

  it('compares the decoded key: an encoded dot-segment is part of the key, never a way out of a prefix', async () => {
    // The key is literally "hr/../billing/invoice-1001": under hr/, and not in the data.
    expect((await get('/keys/hr/..%2Fbilling/invoice-1001', HR_KEY)).statusCode).toBe(404);
    expect((await get('/keys/hr%2F..%2Fbilling%2Finvoice-1001', HR_KEY)).statusCode).toBe(404);
    expect((await get('/keys/billing%2F..%2Fhr/employee-7', BILLING_KEY)).statusCode).toBe(404);
    expect((await get('/keys/%2E%2E%2Fhr/employee-7', BILLING_KEY)).statusCode).toBe(403);
  });

  it('refuses a whole batch holding a key outside the prefixes, naming up to 10', async () => {
    const outside = Array.from({ length: 12 }, (_, i) => `hr/x${i}`);
    const response = await mget(['billing/invoice-1001', ...outside, 'hr/x0'], BILLING_KEY);
    expect(response.statusCode).toBe(403);
    const { message } = response.json();
    for (const key of outside.slice(0, 10)) expect(message).toContain(`"${key}"`);
    expect(message).not.toContain('"hr/x10"');
    expect(message).toContain('and 2 more');
    const allowed = await mget(['billing/invoice-1001', 'shared/holidays', 'billing/none'], BILLING_KEY);
    expect(allowed.json()).toEqual({
      found: { 'billing/invoice-1001': 'paid', 'shared/holidays': '2026-12-25' },
      missing: ['billing/none'],
    });
  });

  it('lists only the keys in scope, across several prefixes, with cursors that work', async () => {
    const all = async (key: string, query: string) => {
      const keys: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await get(`/keys?limit=1${query}${cursor === null ? '' : `&cursor=${cursor}`}`, key);
        expect(page.statusCode).toBe(200);
        keys.push(...page.json().keys);
        cursor = page.json().nextCursor;
      } while (cursor !== null);
      return keys;
    };
    expect(await all(BILLING_KEY, '')).toEqual(['billing/invoice-1001', 'billing/invoice-1002', 'shared/holidays']);
    expect(await all(BILLING_KEY, '&prefix=billing')).toEqual(['billing/invoice-1001', 'billing/invoice-1002']);
    expect(await all(BILLING_KEY, '&prefix=billing/invoice-1002')).toEqual(['billing/invoice-1002']);
    expect((await get('/keys?prefix=hr/', BILLING_KEY)).statusCode).toBe(403);
    expect((await get('/keys?prefix=billing-', BILLING_KEY)).statusCode).toBe(403);
    expect((await get('/keys?prefix=hr/', OPS_KEY)).statusCode).toBe(403);
  });

  it('decides operations by role: hr may not batch, ops may reload, billing may not', async () => {
    expect((await mget(['hr/employee-7'], HR_KEY)).statusCode).toBe(403);
    const reload = (key: string) => testApp.app.inject({ method: 'POST', url: '/admin/reload', headers: bearer(key) });
    expect((await reload(OPS_KEY)).statusCode).toBe(200);
    expect((await reload(ADMIN_TOKEN)).statusCode).toBe(200);
    const refused = await reload(BILLING_KEY);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['cache-control']).toBe('no-store');
  });

  it('decides POST /admin/reload by credentials and role before its body is read', async () => {
    const brokenBody = (headers: Record<string, string>) =>
      testApp.app.inject({
        method: 'POST',
        url: '/admin/reload',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: '{"bad',
      });
    expect((await brokenBody({})).statusCode).toBe(401);
    expect((await brokenBody(bearer('unknown-key'))).statusCode).toBe(401);
    expect((await brokenBody(bearer(BILLING_KEY))).json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: "This client's role does not allow reload",
    });
    // Only a caller allowed to reload is told what is wrong with the body.
    expect((await brokenBody(bearer(OPS_KEY))).statusCode).toBe(400);
  });

  it('counts requests by client and outcome on /metrics', async () => {
    const count = async (client: string, outcome: string) => {
      const text = (await get('/metrics')).body;
      const match = new RegExp(
        `^kv_client_requests_total\\{client="${client}",outcome="${outcome}"\\} (\\d+)$`,
        'm',
      ).exec(text);
      return match === null ? undefined : Number(match[1]);
    };
    const before = { allowed: await count('hr', 'allowed'), denied: await count('hr', 'denied') };
    const anonymous = (await count('anonymous', 'denied'))!;
    await get('/keys/hr/employee-7', HR_KEY);
    await get('/keys/billing/invoice-1001', HR_KEY);
    await mget(['hr/employee-7'], HR_KEY);
    await get('/keys/hr/employee-7');
    expect(await count('hr', 'allowed')).toBe(before.allowed! + 1);
    expect(await count('hr', 'denied')).toBe(before.denied! + 2);
    expect(await count('anonymous', 'denied')).toBe(anonymous + 1);
  });

  it('re-reads the file on change and on SIGHUP, in one step; a broken file keeps the rules in force', async () => {
    const roles = testApp.app.get(ClientRolesService);
    const replace = async (text: string) => {
      await writeFile(`${accessFile}.next`, text);
      await rename(`${accessFile}.next`, accessFile);
    };
    const newKey = 'hr-key-rotated-51ad';
    await replace(RULES.replace(sha256(HR_KEY), sha256(newKey)));
    // The file watch (a rename, like a Kubernetes Secret's symlink swap) re-reads it.
    for (let waited = 0; (await get('/keys/hr/employee-7', newKey)).statusCode !== 200; waited += 100) {
      if (waited > 5000) throw new Error('the access file was not re-read after a change');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await get('/keys/hr/employee-7', HR_KEY)).statusCode).toBe(401);

    await replace('clients:\n  - id: hr\n    keySha256: nope\n    prefixes: [""]\n');
    roles.reread('SIGHUP');
    expect((await get('/keys/hr/employee-7', newKey)).statusCode).toBe(200);

    await replace(RULES);
    process.emit('SIGHUP');
    expect((await get('/keys/hr/employee-7', HR_KEY)).statusCode).toBe(200);
    expect((await get('/keys/hr/employee-7', newKey)).statusCode).toBe(401);
    expect(await readFile(accessFile, 'utf8')).toBe(RULES);
  });
});
