import { isPossibleKey } from '../store/line-parser.js';

/**
 * Extracts the key from a look-up URL: everything after the route prefix up to the
 * query string, percent-decoded as UTF-8. The raw URL is used, not the router's
 * parameter, so that `a%2Fb` and `a/b` both mean `a/b` and `+` stays a plus.
 *
 * Returns undefined for a key that cannot be valid: bad percent-encoding, bytes that
 * are not UTF-8, an empty key, or whitespace.
 */
export function keyFromUrl(url: string, prefixLength: number): string | undefined {
  const queryStart = url.indexOf('?', prefixLength);
  const encoded = queryStart === -1 ? url.slice(prefixLength) : url.slice(prefixLength, queryStart);
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
