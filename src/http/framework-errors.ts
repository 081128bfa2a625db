import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
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

const CONNECT_REFUSED = new ErrorReply(405, 'CONNECT is not supported: this is not a proxy');

/**
 * Node hands a CONNECT request to the server's `connect` listeners instead of its
 * request handler, and with none it drops the connection without a word. Answer it
 * like any other method the service does not serve, and close.
 */
export function refuseConnectRequests(server: Server): void {
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    const body = CONNECT_REFUSED.body;
    socket.on('error', () => undefined);
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD, POST\r\ncache-control: no-store\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  });
}
