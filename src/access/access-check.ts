import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ErrorReply, sendError } from '../common/error-reply.js';
import { OPERATIONS, type Operation } from '../common/route-facts.js';
import type { ApiKeysService } from './api-keys.service.js';
import type { ClientRolesService } from './client-roles.service.js';

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

const NO_CLIENT = new ErrorReply(401, 'A client API key is required: Authorization: Bearer <key>');
const forbiddenOperation = new Map<Operation, ErrorReply>(
  OPERATIONS.map((operation) => [operation, new ErrorReply(403, `This client's role does not allow ${operation}`)]),
);

/**
 * With client roles on: identifies the client once, in the rules in force now, and
 * keeps its role on the request, where the route reads it for the decisions that
 * need the request's content (a key's prefix, a listing's scope). The route's own
 * operation is decided here. A request without a valid key is 401 before anything
 * else, as with `apiKeyCheck`.
 */
export function clientRoleCheck(
  roles: ClientRolesService,
  operation: Operation,
  route: string,
  /** The 401's message; a route that also takes another credential names it. */
  unauthorized: ErrorReply = NO_CLIENT,
): AccessCheck {
  const forbidden = forbiddenOperation.get(operation)!;
  return (request, reply, done) => {
    const client = roles.identify(request.headers.authorization);
    if (client === undefined) {
      const reason = request.headers.authorization === undefined ? 'no API key' : 'unknown API key';
      roles.unauthorized(reply, route, reason, unauthorized);
      return;
    }
    if (!client.operations.has(operation)) {
      roles.forbidden(reply, client, route, 'operation not allowed', forbidden);
      return;
    }
    request.kvClient = client;
    done();
  };
}
