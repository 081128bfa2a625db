import fc from 'fast-check';
import { docsRequest, hostileBatch, notARequest, randomBytesRequest } from './support/hostile-requests.js';
import { operationsOf, requestsFor, type GeneratedRequest, type OpenApiDocument } from './support/openapi-requests.js';
import { frameRequest, parseResponseHead, rawExchange } from './support/raw-http.js';
import { startServer, type ServerProcess } from './support/server-process.js';

/**
 * Fuzzing the built server over real sockets: requests generated from its own OpenAPI
 * document, hostile batch bodies, and random bytes in the request line, the headers and
 * the body. Whatever arrives, every answer must be a well-formed HTTP/1.1 response with
 * a status the documentation gives that operation (or one of the statuses for a
 * malformed request), never a 5xx, never a stack trace in the answer or the log, and the
 * server must still serve a look-up afterwards. fast-check prints the seed and the
 * smallest failing request when one fails.
 */

const ADMIN_TOKEN = 'fuzz-admin-token-5b1f';
/** The longer properties take 3 to 12 s here; room for a slower machine. */
const FUZZ_TIMEOUT_MS = 60_000;
/** Statuses for a request the server cannot take as it is, on any route (docs/api.md). */
const MALFORMED = [400, 404, 405, 413, 415, 431];
/** What a stack trace or an internal path looks like in an answer or a log line. */
const STACK_TRACE = /\n\s+at |node_modules|\/src\/|\.[jt]s:\d+/;

let server: ServerProcess;
let document: OpenApiDocument;
let knownKeys: string[];
/** Every status the document gives any operation, but a 5xx, and the malformed ones. */
let anyRouteStatuses: number[];

beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'info', KV_ADMIN_TOKEN: ADMIN_TOKEN, KV_EXTRA_LISTENERS: '0' });
  document = (await (await fetch(`${server.baseUrl}/docs/openapi.json`)).json()) as OpenApiDocument;
  knownKeys = ((await (await fetch(`${server.baseUrl}/keys?limit=20`)).json()) as { keys: string[] }).keys;
  const documented = operationsOf(document).flatMap((operation) => operation.statuses);
  anyRouteStatuses = [...new Set([...documented, ...MALFORMED])].filter((status) => status < 500);
});
afterAll(() => server?.stop());

/** The bytes of a generated request: one Host, `Connection: close`, its headers and body. */
function wireBytes({ method, target, headers, body, chunked }: GeneratedRequest): Buffer {
  const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of headers) head.push(`${name}: ${value}`);
  return frameRequest(head.join('\r\n'), body, chunked);
}

const printable = (bytes: Buffer) =>
  JSON.stringify(bytes.toString('latin1', 0, 400)) + (bytes.length > 400 ? ` (${bytes.length} bytes)` : '');

/**
 * Sends `bytes` and checks the answer: a well-formed response head, a status in
 * `allowed` and below 500, no stack trace in an error, and for an error with a JSON
 * body, the error envelope with that status.
 */
async function expectWellFormedAnswer(bytes: Buffer, allowed: number[]): Promise<void> {
  const exchange = await rawExchange(server.port, bytes);
  const what = printable(bytes);
  if (exchange.received.length === 0) {
    throw new Error(`${what}: ${exchange.closed ? 'the connection was closed without an answer' : 'no answer in 5 s'}`);
  }
  const head = parseResponseHead(exchange.received);
  const body = head.rest.toString('utf8');
  if (!allowed.includes(head.status) || head.status >= 500) {
    throw new Error(`${what}: status ${head.status}, not one of ${allowed.join(', ')}: ${body.slice(0, 300)}`);
  }
  if (head.status < 400) return;
  // Only errors: a value served may hold anything.
  if (STACK_TRACE.test(body)) throw new Error(`${what}: the answer holds a stack trace or a path: ${body}`);
  // An answer to HEAD has the headers of its GET and no body.
  const length = Number(head.headers['content-length']);
  const isHead = bytes.subarray(0, 5).equals(Buffer.from('HEAD '));
  if (isHead || !(length > 0) || !head.headers['content-type']?.startsWith('application/json')) return;
  const envelope = JSON.parse(head.rest.subarray(0, length).toString('utf8')) as Record<string, unknown>;
  const { statusCode, error, message } = envelope;
  if (statusCode !== head.status || typeof error !== 'string' || typeof message !== 'string') {
    throw new Error(`${what}: not the error envelope of a ${head.status}: ${JSON.stringify(envelope)}`);
  }
}

describe('fuzzing node dist/main.js over sockets', () => {
  it(
    'answers requests generated from its OpenAPI document with the statuses documented for each',
    async () => {
      const requests = fc.oneof(
        ...operationsOf(document).map((operation) => requestsFor(operation, document, knownKeys, ADMIN_TOKEN)),
      );
      await fc.assert(
        fc.asyncProperty(requests, (request) =>
          expectWellFormedAnswer(wireBytes(request), [...request.operation.statuses, ...MALFORMED]),
        ),
        { numRuns: 1_500 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it('answers hostile batch bodies (deep nesting, huge arrays, prototype fields, over 1 MiB) with a 400 or 413', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBatch, ({ wire }) => expectWellFormedAnswer(wire, [200, 400, 413])),
      { numRuns: 200 },
    );
  });

  it(
    'answers random bytes in the request line, the headers and the body',
    async () => {
      await fc.assert(
        fc.asyncProperty(randomBytesRequest, (wire) => expectWellFormedAnswer(wire, anyRouteStatuses)),
        { numRuns: 2_000 },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it('answers bytes that are no request at all', async () => {
    await fc.assert(
      fc.asyncProperty(notARequest, (wire) => expectWellFormedAnswer(wire, anyRouteStatuses)),
      { numRuns: 500 },
    );
  });

  it('answers any path under /docs/ (the Swagger UI files) with a documented status', async () => {
    await fc.assert(
      // 403: the static files' own refusal of a path that climbs out (`/docs/%2e%2e/`), documented.
      fc.asyncProperty(docsRequest, (wire) => expectWellFormedAnswer(wire, [...anyRouteStatuses, 403])),
      { numRuns: 300 },
    );
  });

  // Node hands a CONNECT request to the server's 'connect' listeners, and with none it
  // closes the connection without a word: a method this service does not serve must get
  // an answer like any other (the random requests above leave CONNECT to this case).
  it.each(['CONNECT 127.0.0.1:443 HTTP/1.1', 'CONNECT /keys/greeting HTTP/1.1', 'CONNECT  HTTP/1.1'])(
    'answers %s',
    (requestLine) =>
      expectWellFormedAnswer(
        frameRequest(`${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close`, undefined),
        [400, 404, 405],
      ),
  );

  it('logged no error and no stack trace meanwhile, and still answers a look-up', async () => {
    const lookUp = await fetch(`${server.baseUrl}/keys/greeting`);
    expect({ status: lookUp.status, body: await lookUp.text() }).toEqual({
      status: 200,
      body: '{"greeting":"Hello, world!"}',
    });
    const lines = server
      .stdout()
      .split('\n')
      .filter((line) => line !== '');
    const errors = lines.filter(
      (line) => (JSON.parse(line) as { level: number }).level >= 50 || STACK_TRACE.test(line),
    );
    expect(errors).toEqual([]);
    expect(server.stderr()).toBe('');
  });
});
