// Every response's latency, status and completion second, kept raw (a Float64Array that
// grows) so that percentiles up to 99.99 and the maximum are exact, not bucketed.
import { percentile } from './server.mjs';

/** The original's (Locust's) percentile columns. */
export const TABLE_PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100];

export class LatencyRecorder {
  constructor(startedAt = performance.now()) {
    this.startedAt = startedAt;
    this.endsAt = Infinity;
    this.latencies = new Float64Array(1 << 16);
    this.count = 0;
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
    if (this.count === this.latencies.length) {
      const bigger = new Float64Array(this.latencies.length * 2);
      bigger.set(this.latencies);
      this.latencies = bigger;
    }
    this.latencies[this.count++] = latencyMs;
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

  sorted() {
    return this.latencies.slice(0, this.count).sort();
  }

  /** The numbers a report shows; `seconds` is the measured window's length. */
  summary(seconds) {
    const sorted = this.sorted();
    const percentiles = Object.fromEntries(TABLE_PERCENTILES.map((p) => [p, percentile(sorted, p)]));
    return {
      requests: this.count,
      seconds,
      throughput: this.count / seconds,
      percentiles,
      mean: this.count ? sorted.reduce((sum, value) => sum + value, 0) / this.count : NaN,
      status: { ...this.status, others: this.otherStatuses },
      errors: this.errors,
      timeouts: this.timeouts,
      errorMessages: this.errorMessages,
      perSecond: this.perSecond,
      curve: percentileCurve(sorted),
    };
  }
}

/**
 * Points of the percentile curve on a "nines" scale (50, 90, 99, 99.9, ...), dense enough
 * to draw and small enough to keep in the JSON report instead of every latency.
 */
export function percentileCurve(sorted) {
  if (sorted.length === 0) return [];
  const points = [];
  for (let nines = 0; nines <= Math.log10(sorted.length) + 0.01; nines += 0.05) {
    const p = 100 * (1 - 10 ** -nines);
    points.push({ p, ms: percentile(sorted, p) });
  }
  points.push({ p: 100, ms: sorted[sorted.length - 1] });
  return points;
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
