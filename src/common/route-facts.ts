import type { Type } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { RouteOptions } from 'fastify';

const ROUTE_FACTS = 'kvRoute';

/** What a client role may be allowed to do (KV_ACCESS_FILE); each protected route is one of them. */
export const OPERATIONS = ['lookup', 'mget', 'list', 'reload'] as const;
export type Operation = (typeof OPERATIONS)[number];

/**
 * What the application's per-route wiring (`src/http/route-wiring.ts`) needs to know
 * about a route, declared on the controller method that serves it. Features state
 * facts; the wiring decides what they mean (a handler, hooks, labels), so no feature
 * imports the wiring.
 */
export interface RouteFacts {
  /** Its name in metrics, the access log and the OpenAPI document (`/keys/{key}`); by default derived from the pattern. */
  template?: string;
  /** Needs credentials when access control is on; they are checked before anything else about the request. */
  protected?: boolean;
  /** The operation a client role needs for this route (with KV_ACCESS_FILE); protected routes declare one. */
  operation?: Operation;
  /** A single-key look-up: its 200 and 304 count as hits, its 404 as misses. */
  lookUp?: boolean;
  /**
   * Fastify calls the method directly as `(request, reply)`, skipping Nest's
   * per-request pipeline (execution context, guards, interceptors, pipes), which costs
   * more than a look-up itself. The method answers by itself and must not throw.
   */
  direct?: boolean;
  /**
   * The name of a method of the same controller that checks the request's credentials,
   * run as the route's `onRequest` hook `(request, reply, done)`: before the body is
   * read and validated, so a client without them learns nothing from their errors. For
   * a route whose credentials are its own (POST /admin/reload's admin token); the key
   * routes declare `protected` instead.
   */
  check?: string;
}

/** A controller method, as the wiring binds it. */
export interface ControllerMethod {
  controller: Type<unknown>;
  method: string;
}

/** The facts as the wiring reads them, with the controller methods named. */
export interface DeclaredRouteFacts extends Omit<RouteFacts, 'direct' | 'check'> {
  direct?: ControllerMethod;
  check?: ControllerMethod;
}

/** Declares a route's facts (see `RouteFacts`); the route itself is declared with `@Get`, `@Post`... as usual. */
export function ServedRoute(facts: RouteFacts): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const controller = target.constructor as Type<unknown>;
    const declared: DeclaredRouteFacts = {
      ...facts,
      direct: facts.direct ? { controller, method: String(propertyKey) } : undefined,
      check: facts.check !== undefined ? { controller, method: facts.check } : undefined,
    };
    RouteConfig({ [ROUTE_FACTS]: declared })(target, propertyKey, descriptor);
  };
}

/** The facts of a route as Fastify registers it; none for routes that declare none. */
export function routeFactsOf(route: RouteOptions): DeclaredRouteFacts {
  return ((route.config as Record<string, unknown> | undefined)?.[ROUTE_FACTS] as DeclaredRouteFacts) ?? {};
}

/** The `route` label of requests that matched no route (unknown paths and methods). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * A route's template: its declared one, else its Fastify pattern in OpenAPI's style
 * (`/items/:id` is `/items/{id}`, a trailing wildcard `{path}`, as @nestjs/swagger
 * names them). Never the raw URL, which holds the key: every key would be a new
 * metrics series.
 */
export function routeTemplate(route: Pick<RouteOptions, 'url' | 'config'>): string {
  return routeFactsOf(route as RouteOptions).template ?? openApiStylePath(route.url);
}

/** A Fastify pattern as @nestjs/swagger writes it in the document. */
export function openApiStylePath(pattern: string): string {
  return pattern.replace(/\*$/, '{path}').replace(/:(\w+)/g, '{$1}');
}
