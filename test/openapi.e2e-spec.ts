import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/create-app.js';

/** Every operation the contract defines, as the document must name it. */
const CONTRACT_OPERATIONS = [
  'get /keys/{key}',
  'get /key/{key}',
  'post /keys/_mget',
  'get /keys',
  'get /dataset',
  'post /admin/reload',
  'get /health/live',
  'get /health/ready',
  'get /metrics',
].sort();

/** The operations that need credentials with access control (API keys or client roles) on. */
const PROTECTED_OPERATIONS = [
  'get /keys/{key}',
  'get /key/{key}',
  'post /keys/_mget',
  'get /keys',
  'post /admin/reload',
];

describe('the OpenAPI document (e2e)', () => {
  let app: NestFastifyApplication;
  let dir: string;
  const routes: { method: string; url: string }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-openapi-'));
    await writeFile(join(dir, 'data'), 'alpha 1\n');
    app = await createApp({ LOG_LEVEL: 'silent', KV_DATA_FILE_PATH: join(dir, 'data'), KV_ADMIN_TOKEN: 'x' });
    // Every route Nest registers on Fastify, as it registers it.
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) routes.push({ method: method.toLowerCase(), url: route.url });
      });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is served at /docs/openapi.json and the UI at /docs', async () => {
    const json = await app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: 'kv-server' } });
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });

  it('documents every route the application serves, under the names of the contract', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    const documented = Object.entries(document.paths as Record<string, object>)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(CONTRACT_OPERATIONS);
    // As many routes are served (HEAD twins, OPTIONS and the documentation's own aside),
    // so a route added without documentation fails here.
    const served = routes.filter(
      ({ method, url }) => method !== 'head' && method !== 'options' && !url.startsWith('/docs'),
    );
    expect(served).toHaveLength(CONTRACT_OPERATIONS.length);
  });

  it('names the look-up parameter and documents the error envelope', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    const lookUp = document.paths['/keys/{key}'].get;
    expect(lookUp.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'key', in: 'path' })]));
    expect(lookUp.responses['404'].content['application/json'].schema.required).toEqual([
      'statusCode',
      'error',
      'message',
    ]);
    expect(Object.keys(lookUp.responses)).toEqual(expect.arrayContaining(['200', '304', '400', '404']));
    expect(document.paths['/keys/_mget'].post.requestBody).toBeDefined();
  });

  it('puts the bearer scheme, and the 401 and 403 answers, on every protected operation', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const operation of PROTECTED_OPERATIONS) {
      const [method, path] = operation.split(' ');
      const documented = document.paths[path][method];
      expect({ operation, security: documented.security }).toEqual({ operation, security: [{ bearer: [] }] });
      expect({ operation, errors: Object.keys(documented.responses) }).toEqual({
        operation,
        errors: expect.arrayContaining(['401', '403']),
      });
    }
  });
});
