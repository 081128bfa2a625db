import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';

/** The one error body of the API: `{"statusCode": N, "error": "...", "message": "..."}`. */
export interface ErrorEnvelope {
  statusCode: number;
  error: string;
  message: string;
}

/** Error answers are never cached: the next request may well succeed. */
export const ERROR_CACHE_CONTROL = 'no-store';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * An error answer with its body serialized once. The frequent ones (404, 400 for a bad
 * key, 401) are made at start-up, so that answering them costs no serialization and no
 * exception thrown through Nest's filters.
 */
export class ErrorReply {
  readonly body: string;

  constructor(
    readonly statusCode: number,
    readonly message: string,
  ) {
    const envelope: ErrorEnvelope = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
    this.body = JSON.stringify(envelope);
  }
}

/**
 * Sends an error in the envelope with `Cache-Control: no-store`. Every error answer of
 * the API goes through here; headers the route sets on all its answers (`Vary`,
 * `KV-Dataset-Version`, `WWW-Authenticate`) are set by the caller before.
 *
 * `withoutBody` is for answers made before routing: Fastify strips the body of a
 * routed HEAD request itself, but not of one that no route handles.
 */
export function sendError(reply: FastifyReply, error: ErrorReply, withoutBody = false): void {
  reply.code(error.statusCode).header('cache-control', ERROR_CACHE_CONTROL).type(JSON_TYPE);
  if (withoutBody) reply.header('content-length', Buffer.byteLength(error.body)).send();
  else reply.send(error.body);
}
