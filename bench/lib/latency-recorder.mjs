// Every response's latency, status and completion second. Latencies go into an HDR
// histogram (hdr-histogram-js) in microseconds with 3 significant digits: every
// percentile, 99.99% and the maximum included, is within 0.1% (to the microsecond below
// 2 ms), in about 100 kB however long the run. Keeping every latency instead cost 8
// bytes a response and a sort of them all at the end (5M responses: 67 MB, 0.7 s).
import { build } from 'hdr-histogram-js';

const MICROSECONDS_PER_MS = 1000;

/** The original's (Locust's) percentile columns. */
export const TABLE_PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100];

export class LatencyRecorder {
  constructor(startedAt = performance.now()) {
    this.startedAt = startedAt;
    this.endsAt = Infinity;
    this.latencies = build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true });
    this.status = { ok: 0, notFound: 0, other: 0 };
    this.otherStatuses = {};
    this.errors = 0;
    this.timeouts = 0;
    this.errorMessages = {};
    /** Per 1 s bucket since start: responses, and errors + timeouts. */
    this.perSecond = [];
  }

  /** Responses that complete after `endsAt` (ms, performance.now()) are not counted. */
  stopAt(endsAt) {
    this.endsAt = endsAt;
  }

  response(statusCode, latencyMs) {
    const now = performance.now();
    if (now > this.endsAt) return;
    this.latencies.recordValue(Math.round(latencyMs * MICROSECONDS_PER_MS));
    if (statusCode >= 200 && statusCode < 300) this.status.ok++;
    else if (statusCode === 404) this.status.notFound++;
    else {
      this.status.other++;
      this.otherStatuses[statusCode] = (this.otherStatuses[statusCode] ?? 0) + 1;
    }
    this.bucket(now).responses++;
  }

  /** autocannon reports a timeout as an Error 'request timed out'; anything else is an error. */
  error(error) {
    const now = performance.now();
    if (now > this.endsAt) return;
    const message = error?.code ?? error?.message ?? String(error);
    if (message === 'request timed out') this.timeouts++;
    else {
      this.errors++;
      this.errorMessages[message] = (this.errorMessages[message] ?? 0) + 1;
    }
    this.bucket(now).failures++;
  }

  bucket(now) {
    const second = Math.max(0, Math.floor((now - this.startedAt) / 1000));
    while (this.perSecond.length <= second) this.perSecond.push({ responses: 0, failures: 0 });
    return this.perSecond[second];
  }

  /** Responses recorded. */
  get count() {
    return this.latencies.totalCount;
  }

  /** The latency (ms) that `p` percent of responses took at most; NaN before any. */
  percentile(p) {
    return this.count ? this.latencies.getValueAtPercentile(p) / MICROSECONDS_PER_MS : NaN;
  }

  /** The numbers a report shows; `seconds` is the measured window's length. */
  summary(seconds) {
    const percentiles = Object.fromEntries(TABLE_PERCENTILES.map((p) => [p, this.percentile(p)]));
    return {
      requests: this.count,
      seconds,
      throughput: this.count / seconds,
      percentiles,
      mean: this.count ? this.latencies.mean / MICROSECONDS_PER_MS : NaN,
      status: { ...this.status, others: this.otherStatuses },
      errors: this.errors,
      timeouts: this.timeouts,
      errorMessages: this.errorMessages,
      perSecond: this.perSecond,
      curve: this.percentileCurve(),
    };
  }

  /**
   * Points of the percentile curve on a "nines" scale (50, 90, 99, 99.9, ...), as far as
   * the responses recorded resolve it, dense enough to draw and small enough to keep in
   * the JSON report.
   */
  percentileCurve() {
    if (this.count === 0) return [];
    const points = [];
    for (let nines = 0; nines <= Math.log10(this.count) + 0.01; nines += 0.05) {
      const p = 100 * (1 - 10 ** -nines);
      points.push({ p, ms: this.percentile(p) });
    }
    points.push({ p: 100, ms: this.percentile(100) });
    return points;
  }
}

/** Milliseconds as the tables show them: 0.42, 6.1, 16, 210. */
export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1) return ms.toFixed(2);
  if (ms < 10) return ms.toFixed(1);
  return String(Math.round(ms));
}

/** The original's table as markdown: one row of percentiles (ms) and the request count. */
export function percentileTable(summary, name = 'GET /keys/{key}') {
  const header = ['name', ...TABLE_PERCENTILES.map((p) => `${p}%`), '# reqs'];
  const row = [name, ...TABLE_PERCENTILES.map((p) => formatMs(summary.percentiles[p])), String(summary.requests)];
  return [header, header.map(() => '---'), row].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
