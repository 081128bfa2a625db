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
}

/** The facts as the wiring reads them, with the controller method a direct route runs. */
export interface DeclaredRouteFacts extends Omit<RouteFacts, 'direct'> {
  direct?: { controller: Type<unknown>; method: string };
}

/** Declares a route's facts (see `RouteFacts`); the route itself is declared with `@Get`, `@Post`... as usual. */
export function ServedRoute(facts: RouteFacts): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const declared: DeclaredRouteFacts = {
      ...facts,
      direct: facts.direct
        ? { controller: target.constructor as Type<unknown>, method: String(propertyKey) }
        : undefined,
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
