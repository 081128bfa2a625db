import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { LeanHistogram } from './lean-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
type Label = 'route' | 'status';

/** Observations: a label set (from a few) and a value, on and around the bounds. */
const observationsArb = fc.array(
  fc.record({
    route: fc.constantFrom('/a', '/b', 'unmatched'),
    status: fc.constantFrom('200', '404'),
    value: fc.oneof(fc.constantFrom(0, ...BUCKETS, 5), fc.double({ min: 0, max: 10, noNaN: true })),
  }),
  { maxLength: 60 },
);

/** The exposition of a registry, with series in a canonical order (each metric orders its own differently). */
async function exposition(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter(Boolean).sort();
}

describe('LeanHistogram', () => {
  it("exposes exactly what prom-client's own Histogram does for the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(observationsArb, async (observations) => {
        const leanRegistry = new Registry();
        const lean = new LeanHistogram<Label>('duration_seconds', 'Durations', BUCKETS).registerIn(leanRegistry);
        const modelRegistry = new Registry();
        const model = new Histogram<Label>({
          name: 'duration_seconds',
          help: 'Durations',
          labelNames: ['route', 'status'],
          buckets: BUCKETS,
          registers: [modelRegistry],
        });
        const series = new Map<string, ReturnType<typeof lean.newSeries>>();
        for (const { route, status, value } of observations) {
          const key = `${route} ${status}`;
          if (!series.has(key)) series.set(key, lean.newSeries({ route, status }));
          series.get(key)!.observe(value);
          model.observe({ route, status }, value);
        }
        expect(await exposition(leanRegistry)).toEqual(await exposition(modelRegistry));
        expect(lean.counts().reduce((sum, { value }) => sum + value, 0)).toBe(observations.length);
      }),
    );
  });

  it('keeps counting in the series callers hold after a registry reset', async () => {
    const registry = new Registry();
    const lean = new LeanHistogram<Label>('duration_seconds', 'Durations', BUCKETS).registerIn(registry);
    const series = lean.newSeries({ route: '/a', status: '200' });
    series.observe(0.5);
    registry.resetMetrics();
    expect(lean.counts()).toEqual([]);
    series.observe(0.05);
    expect(lean.counts()).toEqual([{ labels: { route: '/a', status: '200' }, value: 1 }]);
    expect(await registry.metrics()).toContain('duration_seconds_bucket{le="0.1",route="/a",status="200"} 1');
  });

  it('refuses bounds that are not finite and ascending', () => {
    expect(() => new LeanHistogram('h', 'h', [0.1, 0.1])).toThrow('ascending');
    expect(() => new LeanHistogram('h', 'h', [1, Infinity])).toThrow('finite');
  });
});
