import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ErrorReply, sendError } from '../common/error-reply.js';
import type { ApiKeysService } from './api-keys.service.js';

const UNAUTHORIZED = new ErrorReply(401, 'An API key is required: Authorization: Bearer <key>');

export type AccessCheck = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * Requires `Authorization: Bearer <API key>`: a 401 in the error envelope with
 * `WWW-Authenticate: Bearer` otherwise. The wiring makes it an `onRequest` hook of each
 * protected route, so it runs before anything else about the request is looked at
 * (the key, the query, the body): an unauthenticated client learns nothing. Being
 * attached to the matched routes rather than decided from the URL, it also covers the
 * spellings the router maps to them (`/%6Beys/x`, `/keys//x`) and their HEAD twins.
 */
export function apiKeyCheck(apiKeys: ApiKeysService): AccessCheck {
  return (request, reply, done) => {
    if (apiKeys.accepts(request.headers.authorization)) {
      done();
      return;
    }
    reply.header('www-authenticate', 'Bearer');
    sendError(reply, UNAUTHORIZED);
  };
}
