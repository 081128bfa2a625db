import { applyDecorators, Get, Post } from '@nestjs/common';
import { ServedRoute } from '../common/route-facts.js';

interface KeyRoute {
  method: 'GET' | 'POST';
  /** As Nest (and so Fastify) registers it. */
  path: string;
  /** As metrics, the access log and the OpenAPI document name it. */
  template: string;
  lookUp: boolean;
}

/**
 * The routes that serve keys, defined once. Controllers declare them with `@KeyRoute`;
 * routing, metrics labels, the OpenAPI document and access control all read them from
 * there. The look-ups are Fastify wildcards because the key is everything after the
 * prefix, `/` included (the handler decodes it from the raw URL).
 */
export const KEY_ROUTES = {
  lookUp: { method: 'GET', path: 'keys/*', template: '/keys/{key}', lookUp: true },
  /** The original service's path. */
  legacyLookUp: { method: 'GET', path: 'key/*', template: '/key/{key}', lookUp: true },
  batchLookUp: { method: 'POST', path: 'keys/_mget', template: '/keys/_mget', lookUp: false },
  listing: { method: 'GET', path: 'keys', template: '/keys', lookUp: false },
} as const satisfies Record<string, KeyRoute>;

/**
 * Declares a key route: its method and path, and its facts for the wiring. Every key
 * route needs credentials when access control is on. Look-ups are the hot path: they
 * run as plain Fastify handlers.
 */
export function KeyRoute(route: KeyRoute): MethodDecorator {
  return applyDecorators(
    route.method === 'POST' ? Post(route.path) : Get(route.path),
    ServedRoute({ template: route.template, protected: true, lookUp: route.lookUp, direct: route.lookUp }),
  );
}
