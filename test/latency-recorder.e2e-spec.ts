import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { ROOT } from './support/server-process.js';

/**
 * bench/lib/latency-recorder.mjs, which the load test's tables and report come from,
 * run as the bench scripts run it (native ESM, in node): its percentiles, counts and
 * mean against the plain definitions, computed here over the same latencies kept whole.
 */
const TABLE_PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100];

interface Response {
  status: number;
  ms: number;
}
interface Summary {
  requests: number;
  percentiles: Record<string, number | null>;
  mean: number | null;
  status: { ok: number; notFound: number; other: number; others: Record<string, number> };
  curve: { p: number; ms: number }[];
}

/** Records each run's responses in a LatencyRecorder of its own (stopped at once when `stopped`) and returns the summaries. */
function summarise(runs: { responses: Response[]; stopped?: boolean }[]): Summary[] {
  const script = `
    import { readFileSync } from 'node:fs';
    import { LatencyRecorder } from './bench/lib/latency-recorder.mjs';
    const runs = JSON.parse(readFileSync(0, 'utf8'));
    console.log(JSON.stringify(runs.map(({ responses, stopped }) => {
      const recorder = new LatencyRecorder();
      if (stopped) recorder.stopAt(0);
      for (const { status, ms } of responses) recorder.response(status, ms);
      return recorder.summary(1);
    })));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    input: JSON.stringify(runs),
    encoding: 'utf8',
  });
  return JSON.parse(output);
}

/**
 * The nearest-rank percentile: the smallest latency that at least p% of them do not
 * exceed. The rank in integers (p has at most two decimals): 0.66 * 50 in floating point
 * is 33.000000000000004, which would round up to the wrong rank.
 */
function nearestRank(sorted: number[], p: number): number {
  const rank = Math.ceil((Math.round(p * 100) * sorted.length) / 10_000);
  return sorted[Math.max(1, rank) - 1];
}

/** Within 0.1% (the histogram's 3 significant digits) and half a microsecond (its unit). */
const close = (actual: number, expected: number) => Math.abs(actual - expected) <= expected * 0.001 + 0.0005;

describe('LatencyRecorder (bench/lib/latency-recorder.mjs)', () => {
  it('gives every table percentile, the mean and the count of the latencies it was given', () => {
    const latency = fc.oneof(
      fc.double({ min: 0, max: 2, noNaN: true }),
      fc.double({ min: 0, max: 20_000, noNaN: true }),
      fc.constantFrom(0, 0.001, 1, 2.048, 10_000),
    );
    const runs = fc.sample(fc.array(latency, { minLength: 1, maxLength: 3000 }), { numRuns: 40, seed: 11 });
    const summaries = summarise(runs.map((latencies) => ({ responses: latencies.map((ms) => ({ status: 200, ms })) })));
    runs.forEach((latencies, run) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      const summary = summaries[run];
      expect(summary.requests).toBe(latencies.length);
      for (const p of TABLE_PERCENTILES) {
        const expected = nearestRank(sorted, p);
        const actual = summary.percentiles[p]!;
        expect({ run, p, expected, actual, close: close(actual, expected) }).toEqual({
          run,
          p,
          expected,
          actual,
          close: true,
        });
      }
      const mean = latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length;
      expect({ run, mean, close: close(summary.mean!, mean) }).toEqual({ run, mean, close: true });
      expect(summary.curve.at(-1)).toEqual({ p: 100, ms: summary.percentiles[100] });
    });
  });

  it('counts 2xx, 404 and other statuses apart, and nothing after it is stopped', () => {
    const responses = [200, 204, 404, 404, 500, 503, 500].map((status) => ({ status, ms: 1 }));
    const [counted, stopped] = summarise([{ responses }, { responses, stopped: true }]);
    expect(counted.requests).toBe(7);
    expect(counted.status).toEqual({ ok: 2, notFound: 2, other: 3, others: { 500: 2, 503: 1 } });
    expect(stopped.requests).toBe(0);
    // No latency, no percentile (NaN, which JSON writes as null; the table shows "-").
    expect(stopped.percentiles[50]).toBeNull();
    expect(stopped.curve).toEqual([]);
  });
});
