import { NestFactory } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { ApiKeysService } from './access/api-keys.service.js';
import { parseBoundedJson } from './common/bounded-json.js';
import { ClientRolesService } from './access/client-roles.service.js';
import { validateEnvironment } from './config/environment.js';
import { answerFrameworkError, refuseConnectRequests } from './http/framework-errors.js';
import { installRequestHooks, type RequestHooks } from './http/request-hooks.js';
import { routableUrl } from './http/routable-url.js';
import { wireRoutes } from './http/route-wiring.js';
import { requestIdFor } from './logging/request-id.js';
import { setUpOpenApi } from './openapi.js';

/** Largest accepted request body (batch look-ups); larger ones get 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Above the idle timeouts of common load balancers (AWS ALB 60 s), so they close first. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** The whole request head must arrive within this. */
export const HEADERS_TIMEOUT_MS = 20_000;
/** The whole request, body included, must arrive within this. */
export const REQUEST_TIMEOUT_MS = 30_000;
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** Room for a request line carrying a percent-encoded key of several KiB. */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Builds the application without listening, for `main.ts` and for the tests
 * (which call `app.init()` and `inject`). Errors (a bad environment, an unloadable
 * dataset) are thrown to the caller instead of Nest exiting the process.
 */
export async function createApp(environment: NodeJS.ProcessEnv = process.env): Promise<NestFastifyApplication> {
  // Validated here first, too, so that a bad variable surfaces as our own one-paragraph
  // error rather than through Nest's bootstrap logger, stack trace and all.
  validateEnvironment(environment);
  // Answers made before routing skip the hooks, so they call them; the hooks are made
  // once the application exists, after the adapter.
  const installed: { hooks?: RequestHooks } = {};
  const adapter = new FastifyAdapter({
    logger: false,
    // No Nest middleware is used (request ids, logs and metrics are Fastify hooks), so
    // @fastify/middie, which would otherwise run on every request, is not registered.
    skipMiddie: true,
    // The caller's X-Request-Id when acceptable, else a new one (see request-id.ts).
    genReqId: requestIdFor,
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Bounded request and header times: a slow or stuck client cannot hold a socket
    // forever. Node checks them every `connectionsCheckingInterval` (30 s by default, so a
    // slow client was cut after up to 50 s); every second makes them true to the second.
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    routerOptions: { maxParamLength: MAX_HEADER_BYTES },
    return503OnClosing: true,
    rewriteUrl: routableUrl,
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      answerFrameworkError(error, request, reply, installed.hooks),
  });
  const fastify = adapter.getInstance();
  refuseConnectRequests(fastify.server);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(environment), adapter, {
    abortOnError: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  // JSON bodies, and structured-syntax JSON types (application/vnd.example+json), are
  // parsed with bounds on depth, size and prototype fields (see bounded-json.ts).
  app.useBodyParser('application/json', {}, parseJsonBody);
  app.useBodyParser(/^application\/[\w.-]+\+json(\s*;.*)?$/i, {}, parseJsonBody);
  installed.hooks = installRequestHooks(app);
  const apiKeys = app.get(ApiKeysService);
  const clientRoles = app.get(ClientRolesService);
  // The client a request is identified as (client roles), declared so every request has the same shape.
  fastify.decorateRequest('kvClient', undefined);
  const routes = wireRoutes(fastify, {
    app,
    requestHooks: installed.hooks,
    // The two are exclusive (the configuration refuses both): at most one gives a check.
    accessCheckFor: (route, template) => apiKeys.checkFor(route) ?? clientRoles.checkFor(route, template),
  });
  setUpOpenApi(app, routes);
  return app;
}

function parseJsonBody(
  _request: unknown,
  body: string | Buffer,
  done: (error: Error | null, value?: unknown) => void,
): void {
  try {
    done(null, parseBoundedJson(body.toString()));
  } catch (error) {
    done(error as Error);
  }
}
