import type { Histogram } from 'prom-client';
import { routeTemplate } from './route-template.js';

export type RequestLabel = 'method' | 'route' | 'status_code';
type Observe = (seconds: number) => void;

interface RouteSeries {
  /** The `route` label: the template, worked out once per route. */
  route: string;
  byMethodAndStatus: Map<string, Map<number, Observe>>;
}

/**
 * Records one request in the duration histogram, on the hot path. prom-client resolves
 * a label object to its series on every call; what it returns for `labels()` is bound
 * once per (route, method, status) here and kept, so a request costs three Map
 * look-ups and one observation, and allocates nothing of its own. The keys are a
 * bounded set: the application's routes (plus "no route"), HTTP's methods, status codes.
 */
export class RequestMetrics {
  private readonly byRoute = new Map<string | undefined, RouteSeries>();

  constructor(private readonly duration: Histogram<RequestLabel>) {}

  /**
   * @param routePattern Fastify's pattern of the matched route (`request.routeOptions.url`),
   *   undefined when none matched
   * @returns the route template it was recorded under
   */
  record(routePattern: string | undefined, method: string, statusCode: number, seconds: number): string {
    let series = this.byRoute.get(routePattern);
    if (series === undefined) {
      series = { route: routeTemplate(routePattern), byMethodAndStatus: new Map() };
      this.byRoute.set(routePattern, series);
    }
    let byStatus = series.byMethodAndStatus.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      series.byMethodAndStatus.set(method, byStatus);
    }
    let observe = byStatus.get(statusCode);
    if (observe === undefined) {
      observe = this.duration.labels({ method, route: series.route, status_code: String(statusCode) }).observe;
      byStatus.set(statusCode, observe);
    }
    observe(seconds);
    return series.route;
  }
}
