import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from './support/test-app.js';
import { parseMetrics, valueOf } from './support/prometheus.js';

/** Sends raw bytes to a listening server and returns what it answers (the connection is closed by the request). */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

describe('request targets the router cannot decode (e2e, inject)', () => {
  let testApp: TestApp;
  let version: string;

  beforeAll(async () => {
    testApp = await startTestApp('alpha 1\n');
    version = (await testApp.app.inject({ url: '/dataset' })).json().version;
  });
  afterAll(() => testApp.close());

  it.each(['/keys/%ZZ', '/keys/%FF', '/key/%E0%A4', '/keys/ok%', '/keys/%ZZ?x=1'])(
    '%s is a look-up 400 with the look-up headers',
    async (url) => {
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await testApp.app.inject({ method, url });
        expect(response.statusCode).toBe(400);
        expect(response.headers).toMatchObject({
          'kv-dataset-version': version,
          vary: 'Accept',
          'cache-control': 'no-store',
          'content-type': 'application/json; charset=utf-8',
        });
        if (method === 'GET') {
          expect(response.json()).toEqual({
            statusCode: 400,
            error: 'Bad Request',
            message: 'Malformed URL: invalid percent-encoding',
          });
        } else expect(response.body).toBe('');
      }
    },
  );

  it('counts them under the look-up route, not as unmatched', async () => {
    await testApp.app.inject({ url: '/keys/%ZZ' });
    const samples = parseMetrics((await testApp.app.inject({ url: '/metrics' })).body);
    const count = (route: string) =>
      valueOf(samples, 'http_requests_total', { method: 'GET', route, status_code: '400' });
    expect(count('/keys/{key}')).toBeGreaterThanOrEqual(1);
    expect(count('unmatched')).toBeUndefined();
  });
});

describe('absolute-form targets and Host headers (e2e, a real socket)', () => {
  let testApp: TestApp;
  let port: number;

  beforeAll(async () => {
    testApp = await startTestApp('alpha 1\nhttp://x/y 2\n');
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    port = (testApp.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => testApp.close());

  it('looks up the key of GET http://host/keys/K, as RFC 9112 says a server must accept', async () => {
    const answer = await rawExchange(
      port,
      'GET http://kv.example/keys/alpha HTTP/1.1\r\nHost: kv.example\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('\r\n\r\n{"alpha":"1"}');
  });

  it('keeps an origin-form key that looks like a URL as the key', async () => {
    const answer = await rawExchange(port, 'GET /keys/http://x/y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('{"http://x/y":"2"}');
  });

  it('refuses a request with two Host headers with 400, as RFC 9112 requires', async () => {
    const answer = await rawExchange(
      port,
      'GET /keys/alpha HTTP/1.1\r\nHost: a.example\r\nhost: b.example\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"message":"A request must carry exactly one Host header"');
    const single = await rawExchange(port, 'GET /keys/alpha HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(single).toMatch(/^HTTP\/1\.1 200 /);
  });
});
