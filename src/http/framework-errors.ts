import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorReply, sendError } from '../common/error-reply.js';
import type { RequestHooks } from './request-hooks.js';

const BAD_URL = new ErrorReply(400, 'Malformed URL');

/**
 * Fastify's `frameworkErrors`: errors raised before any route runs. With
 * `routableUrl` rewriting targets that the router could not decode, what is left is a
 * target the router cannot read at all (neither origin- nor absolute-form). These
 * answers skip every hook, so they get the global headers and metrics here.
 */
export function answerFrameworkError(
  error: Error & { statusCode?: number },
  request: FastifyRequest,
  reply: FastifyReply,
  hooks: RequestHooks | undefined,
): void {
  const status = error.statusCode;
  const answer =
    status !== undefined && status >= 400 && status < 500 && status !== 400
      ? new ErrorReply(status, 'Bad request')
      : BAD_URL;
  hooks?.setHeaders(request, reply);
  sendError(reply, answer, request.method === 'HEAD');
  hooks?.recordUnrouted(request, reply);
}
