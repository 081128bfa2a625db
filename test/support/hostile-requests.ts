import { BODY_LIMIT_BYTES } from '../../src/create-app.js';
import fc from 'fast-check';
import { frameRequest } from './raw-http.js';

/**
 * fast-check generators of what a hostile or broken client sends: batch bodies built to
 * cost the server (deep nesting, huge arrays, prototype fields, over the size limit,
 * broken JSON), and requests with random bytes in the request line, the headers and the
 * body, down to bytes that are no request at all. Each is the bytes for the wire.
 */

/** JSON nested `depth` deep, at the root, as `keys` or as one of its items. */
const deeplyNested = fc
  .record({
    depth: fc.integer({ min: 1, max: 20_000 }),
    open: fc.constantFrom('[', '{"a":'),
    at: fc.constantFrom('root', 'keys', 'item'),
  })
  .map(({ depth, open, at }) => {
    const deep = `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`;
    if (at === 'root') return deep;
    return at === 'keys' ? `{"keys":${deep}}` : `{"keys":["a",${deep}]}`;
  });

const prototypeFields = fc
  .record({
    field: fc.constantFrom('__proto__', 'constructor', 'prototype'),
    value: fc.constantFrom('{}', '{"keys":1}', '{"prototype":{"x":1}}', 'null', '[]', '"x"'),
    at: fc.constantFrom('root', 'item'),
  })
  .map(({ field, value, at }) =>
    at === 'root' ? `{"keys":["greeting"],"${field}":${value}}` : `{"keys":[{"${field}":${value}}]}`,
  );

const hugeArrays = fc
  .record({ length: fc.integer({ min: 1_001, max: 200_000 }), item: fc.constantFrom('"k"', '1', '[]', '{}', 'null') })
  .map(({ length, item }) => `{"keys":[${Array(length).fill(item).join(',')}]}`);

/** Just over the 1 MiB body limit, and up to 15% over. */
const overTheLimit = fc.integer({ min: 1_048_577, max: 1_200_000 }).map((size) => `{"keys":["${'a'.repeat(size)}"]}`);

const brokenJson = fc.constantFrom(
  '{"keys":["a"',
  '{"keys":["a"]}}',
  '{"keys":["\\ud800"]}',
  '\ufeff{"keys":["a"]}',
  '',
  'null',
  '{"keys":["a"]} x',
);

/** A `POST /keys/_mget` with a hostile JSON body, framed by length or chunked. */
export const hostileBatch = fc
  .tuple(fc.oneof(deeplyNested, prototypeFields, hugeArrays, overTheLimit, brokenJson), fc.boolean())
  .map(([text, chunked]) => {
    const head = 'POST /keys/_mget HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json';
    const body = Buffer.from(text, 'utf8');
    // A body declared over the limit is refused (413) before it is read; a client still
    // writing it when the server closes gets a reset that can discard the answer from its
    // receive buffer. So, as a careful client would, send only the head: the answer is
    // the same, and the test does not depend on that race.
    if (!chunked && body.length > BODY_LIMIT_BYTES) {
      return { text, wire: Buffer.from(`${head}\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1') };
    }
    return { text, wire: frameRequest(head, body, chunked) };
  });

/** Bytes mostly visible ASCII, then bytes above 0x7F (obs-text), rarely controls, CR and LF. */
const wireByte = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
  { weight: 4, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x00, max: 0x20 }) },
);
/** What a header value may hold (RFC 9110 section 5.5): visible ASCII, obs-text, spaces and tabs. */
const fieldByte = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
  { weight: 4, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  fc.constantFrom(0x20, 0x09),
);
const bytesOf = (byte: fc.Arbitrary<number>, maxLength: number) =>
  fc.array(byte, { maxLength }).map((array) => Buffer.from(array));
const bytes = (maxLength: number) => bytesOf(wireByte, maxLength);
const latin1 = (maxLength: number) => bytes(maxLength).map((buffer) => buffer.toString('latin1'));
const fieldValue = bytesOf(fieldByte, 60).map((buffer) => buffer.toString('latin1'));
const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
// /docs/ has its own generator (docsRequest): its static files answer in their own way.
const PATH_STARTS = ['/keys/', '/key/', '/keys', '/keys/_mget', '/', '/health/ready', '/admin/reload'];
const OTHER_FORMS = ['*', 'http://127.0.0.1/keys/', 'HTTP://[::1]/key/', '//', 'kv.example:80'];
const startThenBytes = fc.tuple(fc.constantFrom(...PATH_STARTS, ...OTHER_FORMS), latin1(40)).map(([a, b]) => a + b);
const header = fc.tuple(
  fc.oneof({ weight: 6, arbitrary: token }, latin1(20)),
  fc.oneof({ weight: 6, arbitrary: fieldValue }, latin1(60)),
);

/**
 * A request whose method, target, version, headers and body hold random bytes, with one
 * Host and `Connection: close` first. CONNECT is left out: its own test covers it.
 */
export const randomBytesRequest = fc
  .record({
    // Mostly a method and version the parser knows, so that the bytes elsewhere reach routing.
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PRI') },
      token,
      latin1(8),
    ),
    target: fc.oneof({ weight: 3, arbitrary: startThenBytes }, latin1(40)),
    version: fc.oneof(
      { weight: 6, arbitrary: fc.constant('HTTP/1.1') },
      fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'http/1.1', 'HTTP/9.9', ''),
    ),
    headers: fc.array(header, { maxLength: 6 }),
    body: fc.option(bytes(300), { nil: undefined }),
    chunked: fc.boolean(),
  })
  .filter(({ method }) => method.toUpperCase() !== 'CONNECT')
  .map(({ method, target, version, headers, body, chunked }) => {
    const head = [`${method} ${target} ${version}`, 'Host: 127.0.0.1', 'Connection: close'];
    for (const [name, value] of headers) head.push(`${name}: ${value}`);
    return frameRequest(Buffer.from(head.join('\r\n'), 'latin1'), body, chunked);
  });

/**
 * A GET of a path under /docs/ (the Swagger UI's files): file names, dots, slashes and
 * backslashes, escapes of them, NUL, and random bytes.
 */
export const docsRequest = fc
  .array(
    fc.oneof(
      fc.constantFrom('swagger-ui.css', 'index.html', 'x', '.', '..', '/', '\\', '%5C', '%2e', '%2F', '%00', '%ZZ'),
      latin1(6),
    ),
    { maxLength: 8 },
  )
  .map((pieces) =>
    frameRequest(
      Buffer.from(`GET /docs/${pieces.join('')} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close`, 'latin1'),
      undefined,
    ),
  );

/**
 * Any bytes, then an empty line. Only empty lines are no request at all: a server waits
 * for one (RFC 9112 section 2.2), so those are left out.
 */
export const notARequest = fc
  .uint8Array({ minLength: 1, maxLength: 400 })
  .filter((array) => !array.every((byte) => byte === 0x0d || byte === 0x0a))
  .map((array) => Buffer.concat([Buffer.from(array), Buffer.from('\r\n\r\n')]));
