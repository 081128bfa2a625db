/** The `route` label of requests that matched no route (404s, malformed URLs). */
export const UNMATCHED_ROUTE = 'unmatched';

/** The look-up routes are Fastify wildcards; the OpenAPI document names their parameter `key`. */
const WILDCARD_ROUTES: Readonly<Record<string, string>> = { '/keys/*': '/keys/{key}', '/key/*': '/key/{key}' };

/**
 * A Fastify route pattern (`/keys/*`, `/items/:id`) in OpenAPI's style (`/keys/{key}`,
 * `/items/{id}`): the `route` label of the request metrics and the access log. Never the
 * raw URL, which holds the key: every key would be a new time series.
 */
export function routeTemplate(pattern: string | undefined): string {
  if (pattern === undefined) return UNMATCHED_ROUTE;
  return WILDCARD_ROUTES[pattern] ?? pattern.replace(/\*$/, '{path}').replace(/:(\w+)/g, '{$1}');
}

/** Routes whose status says whether a key was found: 200/304 a hit, 404 a miss. */
export const LOOK_UP_ROUTES: readonly string[] = Object.values(WILDCARD_ROUTES);
