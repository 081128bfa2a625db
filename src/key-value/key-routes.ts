import { applyDecorators, Get, Post } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import { ServedRoute, type Operation } from '../common/route-facts.js';

interface KeyRoute {
  method: 'GET' | 'POST';
  /** As Nest (and so Fastify) registers it. */
  path: string;
  /** As metrics, the access log and the OpenAPI document name it. */
  template: string;
  lookUp: boolean;
  /** What a client role needs to call it (KV_ACCESS_FILE). */
  operation: Operation;
}

/**
 * The routes that serve keys, defined once. Controllers declare them with `@KeyRoute`;
 * routing, metrics labels, the OpenAPI document and access control all read them from
 * there. The look-ups are Fastify wildcards because the key is everything after the
 * prefix, `/` included (the handler decodes it from the raw URL).
 */
export const KEY_ROUTES = {
  lookUp: { method: 'GET', path: 'keys/*', template: '/keys/{key}', lookUp: true, operation: 'lookup' },
  /** The original service's path. */
  legacyLookUp: { method: 'GET', path: 'key/*', template: '/key/{key}', lookUp: true, operation: 'lookup' },
  batchLookUp: { method: 'POST', path: 'keys/_mget', template: '/keys/_mget', lookUp: false, operation: 'mget' },
  listing: { method: 'GET', path: 'keys', template: '/keys', lookUp: false, operation: 'list' },
} as const satisfies Record<string, KeyRoute>;

/**
 * Declares a key route: its method and path, and its facts for the wiring. Every key
 * route needs credentials when access control is on (documented here, once, for all of
 * them). Look-ups are the hot path: they run as plain Fastify handlers.
 */
export function KeyRoute(route: KeyRoute): MethodDecorator {
  return applyDecorators(
    route.method === 'POST' ? Post(route.path) : Get(route.path),
    ServedRoute({
      template: route.template,
      protected: true,
      operation: route.operation,
      lookUp: route.lookUp,
      direct: route.lookUp,
    }),
    ApiBearerAuth(),
    ApiErrors(
      [401, 'Access control is on and the request has no valid API key (`WWW-Authenticate: Bearer`); checked first'],
      [
        403,
        `The client's role (KV_ACCESS_FILE) does not allow this: the ${route.operation} operation, or a key or prefix outside its prefixes`,
      ],
    ),
  );
}
