import type { InjectOptions } from 'fastify';
import { rename, writeFile } from 'node:fs/promises';
import { DatasetService } from '../src/dataset/dataset.service.js';
import { parseMetrics, valueOf, type Sample } from './support/prometheus.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Distinctive, so that finding them anywhere in the exposition is a failure. */
const KEY = 'zebra-metrics-key-4f1c9';
const VALUE = 'ostrich-metrics-value-77';
const MISSING = 'okapi-missing-key-0b2e';

async function scrape(testApp: TestApp): Promise<{ text: string; samples: Sample[] }> {
  const response = await testApp.app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return { text: response.body, samples: parseMetrics(response.body) };
}

/** A request series as the test names it: `METHOD route status`. */
const seriesOf = (labels: Record<string, string>) => `${labels.method} ${labels.route} ${labels.status_code}`;
/** The bucket bound of an `le` label, `+Inf` included. */
const bound = (le: string) => (le === '+Inf' ? Infinity : Number(le));

/**
 * What the test sent, counted by the test: every request, the route template it was sent
 * to (written by hand at each call) and the status it got, and how long it took as the
 * test timed it from outside, around the whole exchange (the server's own timing lies
 * within). `/metrics` must agree with this, not with itself.
 */
class SentRequests {
  private readonly series = new Map<string, { count: number; seconds: number; longest: number }>();

  note(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    const series = this.series.get(key) ?? { count: 0, seconds: 0, longest: 0 };
    this.series.set(key, {
      count: series.count + 1,
      seconds: series.seconds + seconds,
      longest: Math.max(series.longest, seconds),
    });
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.series].map(([key, { count }]) => [key, count]));
  }

  timing(key: string): { seconds: number; longest: number } {
    return this.series.get(key)!;
  }
}

describe('GET /metrics after traffic (e2e, inject)', () => {
  let testApp: TestApp;
  let text: string;
  let samples: Sample[];
  const sent = new SentRequests();
  /** One value per series of `name`, keyed as the test names series. */
  const perSeries = (name: string, labels: Record<string, string> = {}) =>
    Object.fromEntries(
      samples
        .filter((sample) => sample.name === name && Object.entries(labels).every(([l, v]) => sample.labels[l] === v))
        .map((sample) => [seriesOf(sample.labels), sample.value]),
    );

  /** Sends a request that must get `status`, and notes it under `route`. */
  async function send(options: InjectOptions & { url: string }, route: string, status: number) {
    const startedAt = performance.now();
    const response = await testApp.app.inject(options);
    const seconds = (performance.now() - startedAt) / 1000;
    expect({ url: options.url, status: response.statusCode }).toEqual({ url: options.url, status });
    sent.note(options.method ?? 'GET', route, status, seconds);
    return response;
  }

  beforeAll(async () => {
    testApp = await startTestApp(`${KEY} ${VALUE}\nalpha 1\n`);
    const hit = await send({ url: `/keys/${KEY}` }, '/keys/{key}', 200);
    await send({ url: `/key/${KEY}` }, '/key/{key}', 200);
    await send({ method: 'HEAD', url: `/keys/${KEY}` }, '/keys/{key}', 200);
    await send({ url: `/keys/${KEY}`, headers: { 'if-none-match': hit.headers.etag as string } }, '/keys/{key}', 304);
    await send({ url: `/keys/${KEY}`, headers: { accept: 'text/plain' } }, '/keys/{key}', 200);
    await send({ url: `/keys/${MISSING}` }, '/keys/{key}', 404);
    await send({ url: `/key/${MISSING}` }, '/key/{key}', 404);
    await send({ url: `/keys/${KEY}%20x` }, '/keys/{key}', 400); // whitespace: no key can match
    await send({ url: `/keys/${KEY}%ZZ` }, '/keys/{key}', 400); // undecodable, still its route's
    await send({ method: 'POST', url: '/keys/_mget', payload: { keys: [KEY, MISSING] } }, '/keys/_mget', 200);
    await send({ url: `/keys?prefix=${KEY}` }, '/keys', 200);
    await send({ url: `/nowhere/${KEY}` }, 'unmatched', 404);
    await send({ url: '/health/ready' }, '/health/ready', 200);
    ({ text, samples } = await scrape(testApp));
  });
  afterAll(() => testApp.close());

  it('counts every request the test sent, by method, route template and status code, and nothing else', () => {
    expect(perSeries('http_requests_total')).toEqual(sent.counts());
  });

  it('has a latency histogram with one series per counted series, holding those requests', () => {
    expect(perSeries('http_request_duration_seconds_count')).toEqual(sent.counts());
    expect(perSeries('http_request_duration_seconds_bucket', { le: '+Inf' })).toEqual(sent.counts());
  });

  it('puts each request in a bucket its time allows: no observation is longer than the test measured', () => {
    const buckets = samples.filter((sample) => sample.name === 'http_request_duration_seconds_bucket');
    for (const [series, count] of Object.entries(sent.counts())) {
      const { seconds, longest } = sent.timing(series);
      const cumulative = buckets
        .filter((sample) => seriesOf(sample.labels) === series)
        .map((sample) => ({ le: bound(sample.labels.le), value: sample.value }))
        .sort((a, b) => a.le - b.le);
      expect(cumulative.map(({ le }) => le)).toEqual([
        0.0005,
        0.001,
        0.0025,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
        Infinity,
      ]);
      cumulative.forEach(({ value }, i) => expect(value).toBeGreaterThanOrEqual(i === 0 ? 0 : cumulative[i - 1].value));
      // Every request took at most `longest`: all of them are at or below the first bound above it.
      const above = cumulative.find(({ le }) => le >= longest)!;
      expect({ series, le: above.le, value: above.value }).toEqual({ series, le: above.le, value: count });
      const sum = perSeries('http_request_duration_seconds_sum')[series];
      expect({ series, sum, withinMeasured: sum <= seconds }).toEqual({ series, sum, withinMeasured: true });
    }
  });

  it('counts look-up hits (200, 304) and misses (404); a 400 is neither', () => {
    expect(valueOf(samples, 'kv_lookups_total', { result: 'hit' })).toBe(5);
    expect(valueOf(samples, 'kv_lookups_total', { result: 'miss' })).toBe(2);
  });

  it('never carries a key, a value or a raw URL', () => {
    for (const secret of [KEY, VALUE, MISSING, 'nowhere', '%ZZ']) expect(text).not.toContain(secret);
    const routes = new Set(
      samples.flatMap((sample) => (sample.labels.route === undefined ? [] : [sample.labels.route])),
    );
    expect([...routes].sort()).toEqual(
      ['/health/ready', '/key/{key}', '/keys', '/keys/_mget', '/keys/{key}', 'unmatched'].sort(),
    );
  });

  it('includes the default process metrics', () => {
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ])
      expect(valueOf(samples, name)).toBeGreaterThan(0);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('counts its own scrapes on the next scrape', async () => {
    const next = await scrape(testApp);
    expect(valueOf(next.samples, 'http_requests_total', { method: 'GET', route: '/metrics', status_code: '200' })).toBe(
      1,
    );
  });
});

describe('dataset and reload metrics (e2e, inject)', () => {
  let testApp: TestApp;
  let datasets: DatasetService;

  beforeEach(async () => {
    testApp = await startTestApp('alpha 1\nalpha 2\nlonely\nbeta 3\n', { KV_ON_MALFORMED: 'skip' });
    datasets = testApp.app.get(DatasetService);
  });
  afterEach(() => testApp.close());

  async function replaceData(content: string) {
    await writeFile(`${testApp.dataFile}.next`, content);
    await rename(`${testApp.dataFile}.next`, testApp.dataFile);
  }

  async function expectDatasetGauges() {
    const dataset = (await testApp.app.inject({ url: '/dataset' })).json();
    const { samples } = await scrape(testApp);
    expect({
      keys: valueOf(samples, 'kv_dataset_keys'),
      bytes: valueOf(samples, 'kv_dataset_bytes'),
      loadSeconds: valueOf(samples, 'kv_dataset_load_duration_seconds'),
      loadedAt: valueOf(samples, 'kv_dataset_loaded_timestamp_seconds'),
      malformed: valueOf(samples, 'kv_dataset_malformed_lines_skipped'),
      duplicates: valueOf(samples, 'kv_dataset_duplicate_keys_overridden'),
    }).toEqual({
      keys: dataset.keys,
      bytes: dataset.bytes,
      loadSeconds: dataset.loadDurationMs / 1000,
      loadedAt: Date.parse(dataset.loadedAt) / 1000,
      malformed: dataset.malformedSkipped,
      duplicates: dataset.duplicatesOverridden,
    });
    const versions = samples.filter((sample) => sample.name === 'kv_dataset_info');
    expect(versions).toEqual([{ name: 'kv_dataset_info', labels: { version: dataset.version }, value: 1 }]);
    return samples;
  }

  it('reports the serving dataset as /dataset does', async () => {
    const samples = await expectDatasetGauges();
    expect(valueOf(samples, 'kv_dataset_keys')).toBe(2);
    expect(valueOf(samples, 'kv_dataset_malformed_lines_skipped')).toBe(1);
    expect(valueOf(samples, 'kv_dataset_duplicate_keys_overridden')).toBe(1);
  });

  it('counts reloads by outcome and follows the swap: only the current version remains', async () => {
    const before = await scrape(testApp);
    expect(valueOf(before.samples, 'kv_reloads_total', { outcome: 'success' })).toBe(0);
    expect(valueOf(before.samples, 'kv_reloads_total', { outcome: 'failure' })).toBe(0);

    await replaceData('gamma 1\ndelta 2\nepsilon 3\n');
    expect((await datasets.reload('test')).outcome).toBe('success');
    const samples = await expectDatasetGauges();
    expect(valueOf(samples, 'kv_dataset_keys')).toBe(3);
    expect(valueOf(samples, 'kv_reloads_total', { outcome: 'success' })).toBe(1);

    await rename(testApp.dataFile, `${testApp.dataFile}.gone`);
    expect((await datasets.reload('test')).outcome).toBe('failure');
    const afterFailure = await expectDatasetGauges();
    expect(valueOf(afterFailure, 'kv_dataset_keys')).toBe(3);
    expect(valueOf(afterFailure, 'kv_reloads_total', { outcome: 'success' })).toBe(1);
    expect(valueOf(afterFailure, 'kv_reloads_total', { outcome: 'failure' })).toBe(1);
  });
});
