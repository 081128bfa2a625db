import { startTestApp, type TestApp } from './support/test-app.js';
import { parseMetrics, type Sample } from './support/prometheus.js';

interface RegisteredRoute {
  method: string;
  url: string;
}

/** The key routes, as the contract names them: each needs an API key when keys are set. */
const KEY_ROUTES: Record<string, string> = {
  'GET /keys/*': '/keys/{key}',
  'HEAD /keys/*': '/keys/{key}',
  'GET /key/*': '/key/{key}',
  'HEAD /key/*': '/key/{key}',
  'POST /keys/_mget': '/keys/_mget',
  'GET /keys': '/keys',
  'HEAD /keys': '/keys',
};

/** A concrete URL that the route pattern matches (under /docs/, a file that exists: a missing one is a plain 404). */
function urlFor(pattern: string): string {
  return pattern.replace(/\*$/, pattern === '/docs/*' ? 'swagger-ui.css' : 'alpha').replace(/:\w+/g, 'x');
}

/** Requests counted with this method and status, under `route`, or under any route but `unmatched` and the scrapes' own. */
function requestCount(samples: Sample[], method: string, status: number, route?: string): number {
  return samples
    .filter(
      (sample) =>
        sample.name === 'http_requests_total' &&
        sample.labels.method === method &&
        sample.labels.status_code === String(status) &&
        (route === undefined
          ? sample.labels.route !== 'unmatched' && sample.labels.route !== '/metrics'
          : sample.labels.route === route),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * Every route the application registers, found as it is registered (not from a list in
 * the code): a route that loses its access check or its metrics fails here.
 */
describe('the per-route wiring of every route (e2e, inject)', () => {
  let testApp: TestApp;
  const routes: RegisteredRoute[] = [];

  beforeAll(async () => {
    testApp = await startTestApp('alpha 1\n', { KV_API_KEYS: 'the-key', KV_ADMIN_TOKEN: 'admin' }, (app) =>
      app
        .getHttpAdapter()
        .getInstance()
        .addHook('onRoute', (route) => {
          for (const method of [route.method].flat()) routes.push({ method, url: route.url });
        }),
    );
  });
  afterAll(() => testApp.close());

  it('registers the key routes and more', () => {
    const names = routes.map(({ method, url }) => `${method} ${url}`);
    expect(names).toEqual(expect.arrayContaining(Object.keys(KEY_ROUTES)));
    expect(routes.length).toBeGreaterThan(Object.keys(KEY_ROUTES).length + 5);
  });

  it('asks for an API key on exactly the key routes, before anything else', async () => {
    for (const { method, url } of routes) {
      if (method === 'OPTIONS') continue;
      const response = await testApp.app.inject({ method: method as 'GET', url: urlFor(url), payload: '{' });
      const isKeyRoute = `${method} ${url}` in KEY_ROUTES;
      expect({
        route: `${method} ${url}`,
        needsKey:
          response.statusCode === 401 &&
          response.headers['www-authenticate'] === 'Bearer' &&
          (method === 'HEAD' || response.json().message.includes('API key')),
      }).toEqual({
        route: `${method} ${url}`,
        needsKey: isKeyRoute,
      });
    }
  });

  it('counts every answer under its route, the key routes under their contract names', async () => {
    for (const { method, url } of routes) {
      if (method === 'OPTIONS') continue;
      const before = parseMetrics((await testApp.app.inject({ url: '/metrics' })).body);
      const response = await testApp.app.inject({
        method: method as 'GET',
        url: urlFor(url),
        headers: { authorization: 'Bearer the-key', 'content-type': 'application/json' },
        payload: method === 'POST' ? { keys: ['alpha'] } : undefined,
      });
      const after = parseMetrics((await testApp.app.inject({ url: '/metrics' })).body);
      const template = url === '/metrics' ? '/metrics' : KEY_ROUTES[`${method} ${url}`];
      // A GET of /metrics also counts the scrape made before it.
      const expected = url === '/metrics' && method === 'GET' ? 2 : 1;
      const counted =
        requestCount(after, method, response.statusCode, template) -
        requestCount(before, method, response.statusCode, template);
      expect({ route: `${method} ${url}`, counted }).toEqual({ route: `${method} ${url}`, counted: expected });
    }
  });
});
