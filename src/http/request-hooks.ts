import { ConfigService } from '@nestjs/config';
import { ErrorReply, sendError } from '../common/error-reply.js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { AppConfig } from '../config/environment.js';
import { AccessLog } from '../logging/access-log.js';
import { REQUEST_ID_HEADER } from '../logging/request-id.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RequestMetrics, RouteRequestMetrics } from '../metrics/request-metrics.js';

const SEVERAL_HOSTS = new ErrorReply(400, 'A request must carry exactly one Host header');

/** Whether the raw header list (name, value, name, value...) names Host more than once. */
function hasSeveralHosts(rawHeaders: string[]): boolean {
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return true;
  }
  return false;
}

type ResponseHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * The per-request work every answer gets, as plain Fastify hooks (no Nest interceptor,
 * no per-request closure): `onRequest` sets the request id and the security headers;
 * `onResponse` records the metrics and, when asked for, the access log line. Each
 * route gets an `onResponse` hook of its own from the route wiring
 * (`onResponseFor`), bound to its metrics, so that a request does not work out its
 * route (Fastify's `request.routeOptions` builds a new object on every read); a global
 * one records the requests no route matched.
 */
export class RequestHooks {
  private readonly unmatched: RouteRequestMetrics;

  constructor(
    private readonly metrics: RequestMetrics,
    private readonly accessLog: AccessLog | undefined,
  ) {
    this.unmatched = metrics.unmatched;
  }

  readonly onRequest = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    this.setHeaders(request, reply);
    // RFC 9112 section 3.2: a request with more than one Host is answered 400 (Node keeps
    // the first and drops the rest, so only the raw headers show it). A framing error,
    // refused before anything else, credentials included.
    if (hasSeveralHosts(request.raw.rawHeaders)) {
      sendError(reply, SEVERAL_HOSTS);
      return;
    }
    done();
  };

  /** For the not-found handler, which no route's hook covers. */
  readonly onUnmatchedResponse: ResponseHook = (request, reply, done) => {
    if (request.is404) this.record(this.unmatched, request, reply);
    done();
  };

  /** The `onResponse` hook of one route, bound to its metrics. */
  onResponseFor(template: string, lookUp: boolean): ResponseHook {
    const metrics = this.metrics.forRoute(template, lookUp);
    return (request, reply, done) => {
      this.record(metrics, request, reply);
      done();
    };
  }

  /**
   * Headers for an API's answers: no MIME sniffing, no referrer, no framing. (Fastify
   * sends no `X-Powered-By`.) Also used for answers made before routing, which skip hooks.
   */
  setHeaders(request: FastifyRequest, reply: FastifyReply): void {
    reply
      .header(REQUEST_ID_HEADER, request.id)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
  }

  /** Records an answer made before routing, which skips the `onResponse` hooks. */
  recordUnrouted(request: FastifyRequest, reply: FastifyReply): void {
    this.record(this.unmatched, request, reply);
  }

  private record(metrics: RouteRequestMetrics, request: FastifyRequest, reply: FastifyReply): void {
    const durationMs = reply.elapsedTime;
    metrics.record(request.method, reply.statusCode, durationMs / 1000);
    this.accessLog?.write(request.id, request.method, metrics.route, request.url, reply.statusCode, durationMs);
  }
}

/**
 * Installs the global hooks on the application's Fastify instance; routes get theirs
 * from `wireRoutes`. Call after the application is created and before it is initialised.
 */
export function installRequestHooks(app: NestFastifyApplication): RequestHooks {
  const fastify = app.getHttpAdapter().getInstance();
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  // The application's one pino logger (nestjs-pino's root), not a request-bound child.
  const accessLog = config.get('logging', { infer: true }).accessLog ? new AccessLog(PinoLogger.root) : undefined;
  const hooks = new RequestHooks(app.get(MetricsService).requests, accessLog);
  fastify.addHook('onRequest', hooks.onRequest);
  fastify.addHook('onResponse', hooks.onUnmatchedResponse);
  return hooks;
}
