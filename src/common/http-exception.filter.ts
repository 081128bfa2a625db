import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorReply, sendError } from './error-reply.js';

/**
 * Turns every error that reaches Nest (from handlers, from Fastify's body parsing and
 * routing, or unexpected ones) into the API's one error envelope. Unexpected errors
 * are logged with their stack and answered with a bare 500: nothing internal leaks.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (isHealthReport(exception)) {
      // Terminus reports (503 from a health check) keep their documented shape for probes.
      void reply.code(exception.getStatus()).send(exception.getResponse());
      return;
    }
    sendError(reply, this.toErrorReply(exception, host.switchToHttp().getRequest<FastifyRequest>().id));
  }

  private toErrorReply(exception: unknown, requestId: string): ErrorReply {
    if (exception instanceof HttpException) {
      return new ErrorReply(exception.getStatus(), messageOf(exception.getResponse()) ?? exception.message);
    }
    // Fastify's own errors (bad JSON, body too large, unsupported media type...) carry a
    // client-error status and a message written for clients.
    const status = (exception as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new ErrorReply(status, (exception as Error).message);
    }
    // The request id ties this line to the access log and to the caller's X-Request-Id.
    this.logger.error({
      msg: 'Unexpected error while answering a request',
      reqId: requestId,
      error: exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    });
    return new ErrorReply(500, 'Internal server error');
  }
}

function messageOf(response: string | object): string | undefined {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : undefined;
}

function isHealthReport(exception: unknown): exception is HttpException {
  if (!(exception instanceof HttpException)) return false;
  const response = exception.getResponse();
  return typeof response === 'object' && response !== null && 'details' in response && 'status' in response;
}
