import type { IncomingMessage } from 'node:http';

/** `scheme://authority` at the start of an absolute-form request target (RFC 9112 section 3.2.2). */
const SCHEME_AND_AUTHORITY = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i;
/** A run of percent-escapes, or a `%` that starts none. */
const ESCAPES = /(?:%[\da-f]{2})+|%/gi;

/**
 * Fastify's `rewriteUrl`: the URL requests are routed and answered by, so that every
 * request reaches the route it was sent to, and that route answers it (with the
 * route's headers and access check, counted under the route's label).
 *
 * - An absolute-form target (`GET http://host/keys/k`, which a server must accept) is
 *   routed by its path and query.
 * - A path that cannot be percent-decoded (`/keys/%ZZ`, `/keys/%FF`) would make the
 *   router fail before any route runs. Each escape run that does not decode becomes
 *   `%20` instead: the route is the same, and a look-up then refuses the key (a space
 *   is never in a key) with its own 400.
 *
 * Costs an `indexOf` per request; decoding is tried only when the path has a `%`.
 */
export function routableUrl(request: IncomingMessage): string {
  let url = request.url ?? '/';
  if (url.charCodeAt(0) !== 47 /* / */) {
    const origin = SCHEME_AND_AUTHORITY.exec(url);
    if (origin !== null) url = url.slice(origin[0].length) || '/';
    if (url.charCodeAt(0) === 63 /* ? */) url = `/${url}`;
  }
  const percent = url.indexOf('%');
  if (percent === -1) return url;
  const queryStart = url.indexOf('?');
  if (queryStart !== -1 && queryStart < percent) return url;
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  try {
    decodeURI(path);
    return url;
  } catch {
    const decodable = path.replace(ESCAPES, (run) => (decodes(run) ? run : '%20'));
    return queryStart === -1 ? decodable : decodable + url.slice(queryStart);
  }
}

function decodes(run: string): boolean {
  try {
    decodeURIComponent(run);
    return true;
  } catch {
    return false;
  }
}
