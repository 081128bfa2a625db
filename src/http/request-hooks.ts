import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { ApiKeysService } from '../access/api-keys.service.js';
import { requireApiKeyOnKeyRoutes } from '../access/key-routes-guard.js';
import type { AppConfig } from '../config/environment.js';
import { AccessLog } from '../logging/access-log.js';
import { REQUEST_ID_HEADER } from '../logging/request-id.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RequestMetrics, RouteRequestMetrics } from '../metrics/request-metrics.js';

type ResponseHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * The per-request work every answer gets, as plain Fastify hooks (no Nest interceptor,
 * no per-request closure): `onRequest` sets the request id and the security headers;
 * `onResponse` records the metrics and, when asked for, the access log line. Each
 * route gets an `onResponse` hook of its own as it is registered, bound to its
 * metrics, so that a request does not work out its route (Fastify's
 * `request.routeOptions` builds a new object on every read); a global one records
 * the requests no route matched.
 */
export class RequestHooks {
  private readonly unmatched: RouteRequestMetrics;

  constructor(
    private readonly metrics: RequestMetrics,
    private readonly accessLog: AccessLog | undefined,
  ) {
    this.unmatched = metrics.forRoute(undefined);
  }

  readonly onRequest = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    this.setHeaders(request, reply);
    done();
  };

  /** For the not-found handler, which no route's hook covers. */
  readonly onUnmatchedResponse: ResponseHook = (request, reply, done) => {
    if (request.is404) this.record(this.unmatched, request, reply);
    done();
  };

  /** Fastify's `onRoute` hook: gives the route its own `onResponse` hook. */
  readonly onRoute = (route: RouteOptions): void => {
    const metrics = this.metrics.forRoute(route.url);
    const onResponse: ResponseHook = (request, reply, done) => {
      this.record(metrics, request, reply);
      done();
    };
    // A new array: Fastify copied the options for the route's automatic HEAD twin,
    // which gets a hook of its own when it is registered in turn.
    route.onResponse = [...(route.onResponse === undefined ? [] : [route.onResponse].flat()), onResponse];
  };

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
 * Installs the hooks on the application's Fastify instance. Call after the application
 * is created and before it is initialised (routes are registered during `init`, and
 * access control attaches itself to them as they are).
 */
export function installRequestHooks(app: NestFastifyApplication): RequestHooks {
  const fastify = app.getHttpAdapter().getInstance();
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  // The application's one pino logger (nestjs-pino's root), not a request-bound child.
  const accessLog = config.get('logging', { infer: true }).accessLog ? new AccessLog(PinoLogger.root) : undefined;
  const hooks = new RequestHooks(app.get(MetricsService).requests, accessLog);
  fastify.addHook('onRequest', hooks.onRequest);
  fastify.addHook('onResponse', hooks.onUnmatchedResponse);
  fastify.addHook('onRoute', hooks.onRoute);
  const apiKeys = app.get(ApiKeysService);
  if (apiKeys.enabled) requireApiKeyOnKeyRoutes(fastify, apiKeys);
  return hooks;
}
