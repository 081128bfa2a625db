import { type HistogramSeries, LeanHistogram } from './lean-histogram.js';
import { UNMATCHED_ROUTE } from '../common/route-facts.js';

export type RequestLabel = 'method' | 'route' | 'status_code';

/** Look-ups take well under a millisecond: the default buckets (5 ms and up) would put them all in one. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The requests of one route. Its `route` label is worked out once, when the route is
 * registered; a request then costs a Map look-up by method, an array read by status
 * code and one observation, and allocates nothing.
 */
export class RouteRequestMetrics {
  private readonly byMethod = new Map<string, (HistogramSeries<RequestLabel> | undefined)[]>();

  constructor(
    /** The `route` label: the route's template, never the raw URL. */
    readonly route: string,
    private readonly duration: LeanHistogram<RequestLabel>,
  ) {}

  record(method: string, statusCode: number, seconds: number): void {
    let byStatus = this.byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = [];
      this.byMethod.set(method, byStatus);
    }
    let series = byStatus[statusCode];
    if (series === undefined) {
      series = this.duration.newSeries({ method, route: this.route, status_code: String(statusCode) });
      byStatus[statusCode] = series;
    }
    series.observe(seconds);
  }
}

/**
 * `http_request_duration_seconds`, by method, route template and status code: the one
 * metric recorded per request. (Request counts are its `_count` series.) The label
 * sets are a bounded set: the application's routes plus "unmatched", HTTP's methods,
 * status codes.
 */
export class RequestMetrics {
  readonly duration = new LeanHistogram<RequestLabel>(
    'http_request_duration_seconds',
    'Time to answer HTTP requests, by method, route template and status code',
    DURATION_BUCKETS,
  );
  private readonly byTemplate = new Map<string, RouteRequestMetrics>();
  /** The templates of single-key look-up routes, whose answers are hits or misses. */
  readonly lookUpRoutes = new Set<string>();
  /** The requests no route matched. */
  readonly unmatched = this.forRoute(UNMATCHED_ROUTE, false);

  /**
   * The metrics of a route, by its template (`/keys/{key}`): one object per template,
   * however often it is asked for (a GET route and its HEAD twin share it).
   */
  forRoute(template: string, lookUp: boolean): RouteRequestMetrics {
    if (lookUp) this.lookUpRoutes.add(template);
    let metrics = this.byTemplate.get(template);
    if (metrics === undefined) {
      metrics = new RouteRequestMetrics(template, this.duration);
      this.byTemplate.set(template, metrics);
    }
    return metrics;
  }
}
