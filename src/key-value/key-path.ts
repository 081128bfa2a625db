import { isPossibleKey } from '../store/index.js';

/**
 * Extracts the key from a look-up URL (`/keys/{key}` or `/key/{key}`): everything after
 * the first path segment up to the query string, percent-decoded as UTF-8. The raw URL
 * is used, not the router's parameter, so that `a%2Fb` and `a/b` both mean `a/b` and `+`
 * stays a plus. The first segment is skipped by position, not by length, because the
 * router also matches it percent-encoded (`/%6Beys/...`).
 *
 * Returns undefined for a key that cannot be valid: bad percent-encoding, bytes that
 * are not UTF-8, an empty key, or whitespace.
 */
export function keyFromUrl(url: string): string | undefined {
  const keyStart = url.indexOf('/', 1) + 1;
  if (keyStart === 0) return undefined;
  const queryStart = url.indexOf('?', keyStart);
  const encoded = queryStart === -1 ? url.slice(keyStart) : url.slice(keyStart, queryStart);
  let key: string;
  if (encoded.indexOf('%') === -1) {
    key = encoded;
  } else {
    try {
      key = decodeURIComponent(encoded);
    } catch {
      return undefined;
    }
  }
  return isPossibleKey(key) ? key : undefined;
}

/**
 * Whether the request target as the client sent it can be percent-decoded. A target
 * that cannot is routed with its bad escapes replaced (see `src/http/routable-url.ts`),
 * so a look-up that refuses its key asks this to say which mistake the client made.
 */
export function isDecodableTarget(originalUrl: string): boolean {
  const queryStart = originalUrl.indexOf('?');
  try {
    decodeURIComponent(queryStart === -1 ? originalUrl : originalUrl.slice(0, queryStart));
    return true;
  } catch {
    return false;
  }
}
