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

describe('GET /metrics after traffic (e2e, inject)', () => {
  let testApp: TestApp;
  let text: string;
  let samples: Sample[];
  const requests = (method: string, route: string, status: number) =>
    valueOf(samples, 'http_requests_total', { method, route, status_code: String(status) });

  beforeAll(async () => {
    testApp = await startTestApp(`${KEY} ${VALUE}\nalpha 1\n`);
    const inject = testApp.app.inject.bind(testApp.app);
    const hit = await inject({ url: `/keys/${KEY}` });
    expect(hit.statusCode).toBe(200);
    expect((await inject({ url: `/key/${KEY}` })).statusCode).toBe(200);
    expect((await inject({ method: 'HEAD', url: `/keys/${KEY}` })).statusCode).toBe(200);
    const notModified = await inject({ url: `/keys/${KEY}`, headers: { 'if-none-match': hit.headers.etag as string } });
    expect(notModified.statusCode).toBe(304);
    expect((await inject({ url: `/keys/${MISSING}` })).statusCode).toBe(404);
    expect((await inject({ url: `/key/${MISSING}` })).statusCode).toBe(404);
    expect((await inject({ url: `/keys/${KEY}%20x` })).statusCode).toBe(400); // whitespace: no key can match
    expect((await inject({ url: `/keys/${KEY}%ZZ` })).statusCode).toBe(400); // undecodable, still its route's
    expect((await inject({ method: 'POST', url: '/keys/_mget', payload: { keys: [KEY, MISSING] } })).statusCode).toBe(
      200,
    );
    expect((await inject({ url: `/keys?prefix=${KEY}` })).statusCode).toBe(200);
    expect((await inject({ url: `/nowhere/${KEY}` })).statusCode).toBe(404);
    expect((await inject({ url: '/health/ready' })).statusCode).toBe(200);
    ({ text, samples } = await scrape(testApp));
  });
  afterAll(() => testApp.close());

  it('counts requests by method, route template and status code', () => {
    expect(requests('GET', '/keys/{key}', 200)).toBe(1);
    expect(requests('GET', '/keys/{key}', 304)).toBe(1);
    expect(requests('HEAD', '/keys/{key}', 200)).toBe(1);
    expect(requests('GET', '/keys/{key}', 404)).toBe(1);
    expect(requests('GET', '/keys/{key}', 400)).toBe(2);
    expect(requests('GET', '/key/{key}', 200)).toBe(1);
    expect(requests('GET', '/key/{key}', 404)).toBe(1);
    expect(requests('POST', '/keys/_mget', 200)).toBe(1);
    expect(requests('GET', '/keys', 200)).toBe(1);
    expect(requests('GET', '/health/ready', 200)).toBe(1);
    // No route matched: an unknown path.
    expect(requests('GET', 'unmatched', 404)).toBe(1);
    expect(requests('GET', 'unmatched', 400)).toBeUndefined();
    const total = samples.filter((sample) => sample.name === 'http_requests_total');
    expect(total.reduce((sum, sample) => sum + sample.value, 0)).toBe(12);
  });

  it('has a latency histogram with the same series and counts', () => {
    const labels = { method: 'GET', route: '/keys/{key}', status_code: '200' };
    expect(valueOf(samples, 'http_request_duration_seconds_count', labels)).toBe(1);
    expect(valueOf(samples, 'http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
    expect(valueOf(samples, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(1);
    expect(valueOf(samples, 'http_request_duration_seconds_bucket', { ...labels, le: '0.0005' })).toBeDefined();
    const counts = samples.filter((sample) => sample.name === 'http_request_duration_seconds_count');
    const totals = samples.filter((sample) => sample.name === 'http_requests_total');
    expect(counts.map(({ labels: l, value }) => [l, value])).toEqual(totals.map(({ labels: l, value }) => [l, value]));
  });

  it('counts look-up hits (200, 304) and misses (404); a 400 is neither', () => {
    expect(valueOf(samples, 'kv_lookups_total', { result: 'hit' })).toBe(4);
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
