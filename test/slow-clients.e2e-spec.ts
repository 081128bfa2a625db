import { connect } from 'node:net';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../src/create-app.js';
import { startServer, type ServerProcess } from './support/server-process.js';

interface Cut {
  afterMs: number;
  answer: string;
}

/**
 * Sends `head` at once, then one more byte of `trickle` every 500 ms, as a slow (or
 * malicious) client does, and resolves when the server closes the connection: how long
 * it took and what it answered.
 */
function trickle(port: number, head: string, trickleText: string): Promise<Cut> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    let answer = '';
    let sent = 0;
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    const timer = setInterval(() => {
      if (sent < trickleText.length && !socket.destroyed) socket.write(trickleText[sent++]);
    }, 500);
    socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - startedAt, answer });
    });
    setTimeout(() => reject(new Error('the server never cut the slow client')), 3 * REQUEST_TIMEOUT_MS).unref();
  });
}

/** The documented timeouts, against the built server on real sockets. */
describe('slow clients are cut at the documented timeouts (e2e, dist/main.js)', () => {
  let server: ServerProcess;
  let slowHead: Promise<Cut>;
  let slowBody: Promise<Cut>;

  beforeAll(async () => {
    server = await startServer({});
    // Both run at once: the test takes as long as the longer timeout.
    slowHead = trickle(server.port, 'GET /keys/greeting HTTP/1.1\r\n', `X-Slow: ${'a'.repeat(200)}`);
    slowBody = trickle(
      server.port,
      'POST /keys/_mget HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n',
      `{"keys": ["${'a'.repeat(480)}"]}`,
    );
  }, 30_000);
  afterAll(() => server.stop());

  it(`cuts a client whose headers trickle in after ${HEADERS_TIMEOUT_MS / 1000} s, within 10%`, async () => {
    const cut = await slowHead;
    console.log(`slow headers cut after ${cut.afterMs} ms (documented: ${HEADERS_TIMEOUT_MS} ms)`);
    expect(cut.afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    expect(cut.afterMs).toBeLessThanOrEqual(HEADERS_TIMEOUT_MS * 1.1);
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 60_000);

  it(`cuts a client whose body trickles in after ${REQUEST_TIMEOUT_MS / 1000} s, within 10%`, async () => {
    const cut = await slowBody;
    console.log(`slow body cut after ${cut.afterMs} ms (documented: ${REQUEST_TIMEOUT_MS} ms)`);
    expect(cut.afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(cut.afterMs).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS * 1.1);
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 60_000);

  it('still serves other clients', async () => {
    const response = await fetch(`${server.baseUrl}/keys/greeting`);
    expect(response.status).toBe(200);
  });
});
