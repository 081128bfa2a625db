import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { INestApplicationContext } from '@nestjs/common';
import { routeFactsOf, routeTemplate, type ControllerMethod, type DeclaredRouteFacts } from '../common/route-facts.js';
import type { AccessCheck } from '../access/access-check.js';
import type { RequestHooks } from './request-hooks.js';

export interface RouteWiringParts {
  app: INestApplicationContext;
  /** Request metrics and the access log (the global hooks are installed by `installRequestHooks`). */
  requestHooks: RequestHooks;
  /** The access check a route needs, if any. */
  accessCheckFor(route: DeclaredRouteFacts, template: string): AccessCheck | undefined;
}

/** What the wiring did to a route; the OpenAPI document and the tests read it. */
export interface WiredRoute {
  method: string;
  url: string;
  template: string;
  direct: boolean;
  protected: boolean;
}

/**
 * The one place where routes get what the application adds to each of them, as Nest
 * registers them on Fastify (during `init`), in this order:
 *
 * 1. the handler: a direct route's controller method replaces Nest's wrapper;
 * 2. `onRequest`: the access check of a protected route, or the route's own check, after
 *    the global hook (request id, security headers) and before anything else about the
 *    request is looked at;
 * 3. `onResponse`: the route's request metrics and access-log line, bound to its
 *    template once, here, so that no request works out its route.
 *
 * Fastify's automatic HEAD twin of a GET route passes through here too, with a copy of
 * the GET route's options: hooks are put in new arrays so the two never share one.
 * Call after the application is created and before `init()`.
 */
export function wireRoutes(fastify: FastifyInstance, parts: RouteWiringParts): WiredRoute[] {
  const wired: WiredRoute[] = [];
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const facts = routeFactsOf(route);
    const template = routeTemplate(route);
    if (facts.direct !== undefined) route.handler = boundMethod(parts.app, facts.direct);
    const accessCheck =
      facts.check !== undefined
        ? boundMethod<AccessCheck>(parts.app, facts.check)
        : parts.accessCheckFor(facts, template);
    if (accessCheck !== undefined) route.onRequest = withHook(route.onRequest, accessCheck);
    route.onResponse = withHook(route.onResponse, parts.requestHooks.onResponseFor(template, facts.lookUp ?? false));
    for (const method of [route.method].flat()) {
      wired.push({ method, url: route.url, template, direct: facts.direct !== undefined, protected: !!accessCheck });
    }
  });
  return wired;
}

/** A new array of the route's hooks of one kind, plus `hook` last. */
function withHook<Hooks>(existing: Hooks | undefined, hook: unknown): Hooks {
  const current = existing === undefined ? [] : [existing].flat();
  return [...current, hook] as Hooks;
}

/** A controller method (a direct handler, a route's own check) bound to the controller Nest made. */
function boundMethod<
  Method extends (...args: never[]) => void = (request: FastifyRequest, reply: FastifyReply) => void,
>(app: INestApplicationContext, { controller, method }: ControllerMethod): Method {
  const instance = app.get(controller, { strict: false }) as Record<string, unknown>;
  return (instance[method] as Method).bind(instance) as Method;
}
