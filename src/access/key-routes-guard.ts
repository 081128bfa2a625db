import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { errorBody } from '../common/error-envelope.js';
import type { ApiKeysService } from './api-keys.service.js';

const UNAUTHORIZED_BODY = errorBody(401, 'An API key is required: Authorization: Bearer <key>');

/**
 * Whether a route pattern is one of the data routes access control covers: `/keys`
 * (listing), `/keys/_mget`, `/keys/*` and `/key/*`. Not `/keysfoo`, health, dataset,
 * metrics, docs or admin (which has its own token).
 */
export function isKeyRoute(pattern: string): boolean {
  return pattern === '/keys' || pattern.startsWith('/keys/') || pattern.startsWith('/key/');
}

/**
 * Requires `Authorization: Bearer <API key>` on the key routes: a 401 in the error
 * envelope with `WWW-Authenticate: Bearer` otherwise. Installed only when keys are
 * configured, so it costs nothing when access control is off.
 *
 * The check is attached to the matched routes (an `onRequest` hook of those routes
 * only), not decided from the URL: the router percent-decodes paths, so
 * `/%6Beys?prefix=` reaches the listing although it does not start with `/keys`.
 * Fastify's automatic HEAD routes get it too. Call before the routes are registered.
 */
export function requireApiKeyOnKeyRoutes(fastify: FastifyInstance, apiKeys: ApiKeysService): void {
  const requireApiKey = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (apiKeys.accepts(request.headers.authorization)) {
      done();
      return;
    }
    void reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .header('cache-control', 'no-store')
      .type('application/json; charset=utf-8')
      .send(UNAUTHORIZED_BODY);
  };
  fastify.addHook('onRoute', (route: RouteOptions) => {
    if (!isKeyRoute(route.url)) return;
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [...existing, requireApiKey];
  });
}
