import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { ApiKeysService } from '../access/api-keys.service.js';
import { requireApiKeyOnKeyRoutes } from '../access/key-routes-guard.js';
import type { AppConfig } from '../config/environment.js';
import { AccessLog } from '../logging/access-log.js';
import { REQUEST_ID_HEADER } from '../logging/request-id.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';

/**
 * The per-request work every answer gets, as two plain Fastify hooks (no Nest
 * interceptor, no per-request closure): `onRequest` sets the request id and the
 * security headers, `onResponse` records the metrics and, when asked for, the access
 * log line.
 */
export class RequestHooks {
  constructor(
    private readonly metrics: RequestMetrics,
    private readonly accessLog: AccessLog | undefined,
  ) {}

  readonly onRequest = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    this.setHeaders(request, reply);
    done();
  };

  readonly onResponse = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    this.record(request, reply);
    done();
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

  /** Also called for answers made before routing, which skip the `onResponse` hook. */
  record(request: FastifyRequest, reply: FastifyReply): void {
    const durationMs = reply.elapsedTime;
    const route = this.metrics.record(request.routeOptions.url, request.method, reply.statusCode, durationMs / 1000);
    this.accessLog?.write(request.id, request.method, route, request.url, reply.statusCode, durationMs);
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
  fastify.addHook('onResponse', hooks.onResponse);
  const apiKeys = app.get(ApiKeysService);
  if (apiKeys.enabled) requireApiKeyOnKeyRoutes(fastify, apiKeys);
  return hooks;
}
