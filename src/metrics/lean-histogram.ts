import type { Registry } from 'prom-client';

type Labels<Label extends string> = Record<Label, string>;

/** A sample as prom-client's registry formats it. */
export interface HistogramSample {
  metricName: string;
  /** Written first: `le` on buckets, as prom-client writes it. */
  labels: Record<string, string>;
  sharedLabels: Record<string, string>;
  value: number;
}

/** One label set's observations: counts per bucket (not cumulative; the last is above every bound) and the values' sum. */
export class HistogramSeries<Label extends string> {
  readonly bucketCounts: Float64Array;
  sum = 0;

  constructor(
    readonly labels: Readonly<Labels<Label>>,
    private readonly bounds: Float64Array,
  ) {
    this.bucketCounts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    this.bucketCounts[bucket]++;
    this.sum += value;
  }

  /** Read when Prometheus scrapes, not on the hot path. */
  get count(): number {
    let count = 0;
    for (const bucketCount of this.bucketCounts) count += bucketCount;
    return count;
  }
}

/**
 * A Prometheus histogram recorded for a few nanoseconds an observation, for the hot path.
 *
 * prom-client's `Histogram.observe` resolves its label set on every call (a label
 * object checked, a hash string built, bucket bounds turned into property names),
 * about a microsecond a request. Here the caller keeps the `HistogramSeries` of each
 * label set and an observation is a bucket search and three additions. prom-client
 * still formats and serves it: the class has what its `Registry` reads of a metric
 * (`name`, `help`, `type`, `get()`, `reset()`), and its exposition is prom-client's own
 * histogram's, bucket for bucket (see the spec).
 */
export class LeanHistogram<Label extends string> {
  readonly type = 'histogram';
  /** How prom-client's AggregatorRegistry would combine workers' values. */
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;
  private readonly bucketLabels: string[];
  private readonly series: HistogramSeries<Label>[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
  ) {
    if (buckets.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound <= buckets[i - 1]))) {
      throw new Error(`${name}: bucket bounds must be finite and ascending`);
    }
    this.bounds = Float64Array.from(buckets);
    this.bucketLabels = [...buckets.map(String), '+Inf'];
  }

  /** Adds the histogram to a prom-client registry, which then serves it like its own metrics. */
  registerIn(registry: Registry): this {
    // prom-client types `registerMetric` with its Metric class; it reads only what this class has.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
    return this;
  }

  /** A new series for a label set; the caller keeps it (a second call makes a second series). */
  newSeries(labels: Readonly<Labels<Label>>): HistogramSeries<Label> {
    const series = new HistogramSeries(labels, this.bounds);
    this.series.push(series);
    return series;
  }

  /** The `_count` of every series that has observations. */
  counts(): { labels: Readonly<Labels<Label>>; value: number }[] {
    return this.series.filter((series) => series.count > 0).map(({ labels, count }) => ({ labels, value: count }));
  }

  /** What prom-client's registry formats: `_bucket` (cumulative, with `le`), `_sum` and `_count` per series. */
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramSample[] }> {
    const values: HistogramSample[] = [];
    for (const series of this.series) {
      if (series.count === 0) continue;
      let cumulative = 0;
      series.bucketCounts.forEach((count, bucket) => {
        cumulative += count;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: this.bucketLabels[bucket] },
          sharedLabels: series.labels,
          value: cumulative,
        });
      });
      values.push({ metricName: `${this.name}_sum`, labels: {}, sharedLabels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: {}, sharedLabels: series.labels, value: series.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** Zeroes every series in place, so that the series callers keep still count (Registry.resetMetrics). */
  reset(): void {
    for (const series of this.series) {
      series.bucketCounts.fill(0);
      series.sum = 0;
    }
  }
}
