import type { INestApplicationContext, Type } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

const DIRECT_HANDLER = 'kvDirectHandler';

interface DirectHandlerConfig {
  controller: Type<unknown>;
  method: string;
}

/**
 * Marks a controller method that Fastify should call directly, skipping Nest's
 * per-request pipeline (execution context, guards, interceptors, pipes, the promise
 * chain around them), which costs more than a look-up itself. The route is still
 * declared and documented as a Nest route; only its handler is swapped.
 *
 * The method takes `(request, reply)`, answers by itself and must not throw: route-level
 * Fastify hooks (metrics, access control) still run, and Fastify's error handler (Nest's
 * exception filter) still catches anything thrown, but nothing of Nest's is applied.
 */
export function DirectRoute(): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const config: DirectHandlerConfig = {
      controller: target.constructor as Type<unknown>,
      method: String(propertyKey),
    };
    RouteConfig({ [DIRECT_HANDLER]: config })(target, propertyKey, descriptor);
  };
}

/** Call after the application is created and before `init()`, when Nest registers its routes. */
export function installDirectRoutes(fastify: FastifyInstance, app: INestApplicationContext): void {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const direct = (route.config as Record<string, unknown> | undefined)?.[DIRECT_HANDLER] as
      DirectHandlerConfig | undefined;
    if (direct === undefined) return;
    const controller = app.get(direct.controller, { strict: false }) as Record<string, unknown>;
    const method = controller[direct.method] as (request: FastifyRequest, reply: FastifyReply) => void;
    route.handler = method.bind(controller);
  });
}
