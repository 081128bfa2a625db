import fc from 'fast-check';

/**
 * fast-check generators of what goes in an HTTP request to this service: path segments,
 * query values and the headers it reads (Accept, If-None-Match, Authorization,
 * Content-Type), each valid, at a bound, just past it, or not of its kind. All of them
 * are ASCII, or UTF-8 bytes written one per character (latin1), ready for the wire.
 */

/** Percent-encodes every byte outside RFC 3986's unreserved set. */
export function percentEncode(bytes: Uint8Array): string {
  let encoded = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** True one time in ten: for what would hide everything else (a second Host is always a 400). */
export const rarely = () => fc.nat(9).map((n) => n === 0);

/** Any text (lone surrogates included: Buffer turns them into U+FFFD) as UTF-8, percent-encoded. */
export const encodedText = (maxLength: number) =>
  fc.string({ unit: 'binary', maxLength }).map((text) => percentEncode(Buffer.from(text, 'utf8')));

const ESCAPES_AND_SEPARATORS = ['a', 'Z', '%', '%ZZ', '%FF', '%C3', '%C3%A9', '%2F', '/', '+', '.', '..', '%00'];
const MORE_PIECES = ['%20', '~', '%E2%80%A8', '\xc3\xa9' /* é as raw UTF-8 bytes, as some clients send it */];

/**
 * A path parameter: a key the dataset holds, encoded text, or pieces that are escapes
 * (good, bad and truncated), slashes, dots and raw UTF-8 bytes; or a key of many KiB.
 */
export function pathValue(knownKeys: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...knownKeys).map((key) => percentEncode(Buffer.from(key, 'utf8'))) },
    encodedText(40),
    fc.array(fc.constantFrom(...ESCAPES_AND_SEPARATORS, ...MORE_PIECES), { maxLength: 12 }).map((p) => p.join('')),
    fc.integer({ min: 4_000, max: 20_000 }).map((length) => 'k'.repeat(length)),
  );
}

/** A query value: an integer one for `integer`, otherwise text, keys' prefixes and listing cursors. */
export function queryValue(type: string | undefined, knownKeys: string[]): fc.Arbitrary<string> {
  const anyText = encodedText(30);
  if (type === 'integer') {
    return fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: -2, max: 1_002 }).map(String) },
      fc.constantFrom('0', '1', '1000', '1001', '1e3', '01', '-0', '%205', '9'.repeat(400), 'NaN'),
      anyText,
    );
  }
  // The beginning of a known key (a prefix), or its base64url form (a listing cursor).
  const fromKey = fc.constantFrom(...knownKeys).chain((key) =>
    fc.oneof(
      fc.nat(key.length).map((length) => percentEncode(Buffer.from(key.slice(0, length), 'utf8'))),
      fc.constant(Buffer.from(key, 'utf8').toString('base64url')),
    ),
  );
  return fc.oneof(
    { weight: 3, arbitrary: fromKey },
    anyText,
    fc.constantFrom('', 'hr/', 'c%2B%2B', 'c++', '%FF', 'MDAwM2RlNWM'),
    fc.base64String({ maxLength: 40 }),
  );
}

const mediaRange = fc.oneof(
  fc.constantFrom('text/plain', 'application/json', '*/*', 'text/*', 'image/png', 'application/*+json'),
  fc.stringMatching(/^[a-z*]{1,8}\/[a-z*+.-]{1,8}$/),
);
const qValue = fc.constantFrom('0', '0.5', '1', '1.000', '2', 'x', '-1', '0.0001');

/** Lists of media ranges with q-values (some malformed), or any visible ASCII. */
export const acceptHeader = fc.oneof(
  fc
    .array(fc.tuple(mediaRange, fc.option(qValue)), { minLength: 1, maxLength: 5 })
    .map((ranges) => ranges.map(([range, q]) => (q === null ? range : `${range};q=${q}`)).join(', ')),
  fc.stringMatching(/^[\x21-\x7e ]{0,40}$/),
);

const entityTag = fc
  .tuple(fc.boolean(), fc.stringMatching(/^[0-9a-f]{16}$/))
  .map(([weak, tag]) => `${weak ? 'W/' : ''}"${tag}"`);

/** `*`, lists of strong and weak tags, or any visible ASCII. */
export const ifNoneMatchHeader = fc.oneof(
  fc.constant('*'),
  fc.array(entityTag, { minLength: 1, maxLength: 4 }).map((tags) => tags.join(', ')),
  fc.stringMatching(/^[\x21-\x7e ]{0,40}$/),
);

/** Mostly JSON, as the batch needs; sometimes another type, none or anything. */
export const contentTypeHeader = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string | undefined>('application/json') },
  fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'application/vnd.example+json'),
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'),
  fc.stringMatching(/^[\x21-\x7e ]{0,30}$/),
  fc.constant(undefined),
);

export const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/);
export const headerName = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);

/** The admin token, another bearer token, or any value. */
export const authorizationHeader = (adminToken: string) =>
  fc.oneof(
    fc.constant(`Bearer ${adminToken}`),
    headerValue.map((token) => `Bearer ${token}`),
    headerValue,
  );
