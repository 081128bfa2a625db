import { parseMetrics, valueOf, type Sample } from './support/prometheus.js';
import { assertPromtool, promtoolCheckMetrics } from './support/promtool.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { waitFor } from './support/wait.js';

/**
 * The live `/metrics` of the built server, after traffic that fills every family (the
 * request series, look-ups, a reload), passes Prometheus's own linter,
 * `promtool check metrics` (Debian's prometheus package), with no complaint.
 */
describe('GET /metrics of node dist/main.js, linted by promtool', () => {
  let server: ServerProcess;
  let exposition: string;
  let samples: Sample[];

  beforeAll(async () => {
    assertPromtool();
    server = await startServer({});
    const statuses: number[] = [];
    const send = async (path: string, init?: RequestInit) => {
      const response = await fetch(`${server.baseUrl}${path}`, init);
      await response.arrayBuffer();
      statuses.push(response.status);
    };
    await send('/keys/greeting');
    await send('/key/greeting', { headers: { accept: 'text/plain' } });
    await send('/keys/greeting', { method: 'HEAD' });
    await send('/keys/no-such-key');
    await send('/keys/%ZZ');
    await send('/keys/_mget', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: ['greeting', 'no-such-key'] }),
    });
    await send('/keys?prefix=hr/');
    await send('/nowhere');
    await send('/health/ready');
    server.child.kill('SIGHUP');
    await waitFor(async () => {
      const dataset = (await (await fetch(`${server.baseUrl}/dataset`)).json()) as { lastReload: unknown };
      return dataset.lastReload !== null;
    });
    expect(statuses).toEqual([200, 200, 200, 404, 400, 200, 200, 404, 200]);

    const scrape = await fetch(`${server.baseUrl}/metrics`);
    expect(scrape.status).toBe(200);
    exposition = await scrape.text();
    samples = parseMetrics(exposition);
  });
  afterAll(() => server?.stop());

  it('has every family the traffic made (so the lint below saw them)', () => {
    expect(valueOf(samples, 'kv_lookups_total', { result: 'miss' })).toBe(1);
    expect(valueOf(samples, 'kv_reloads_total', { outcome: 'success' })).toBe(1);
    expect(valueOf(samples, 'http_requests_total', { method: 'POST', route: '/keys/_mget', status_code: '200' })).toBe(
      1,
    );
    expect(valueOf(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'nodejs_eventloop_lag_seconds')).toBeDefined();
  });

  it('passes promtool check metrics without a single complaint', async () => {
    const lint = await promtoolCheckMetrics(exposition);
    expect(lint).toEqual({ code: 0, output: '' });
  });

  it('keeps the active handle, request and resource totals, as gauges named *_all', () => {
    const names = new Set(samples.map((sample) => sample.name));
    for (const family of ['nodejs_active_handles', 'nodejs_active_requests', 'nodejs_active_resources']) {
      expect({ family, total: names.has(`${family}_total`) }).toEqual({ family, total: false });
      expect(exposition).toContain(`# TYPE ${family}_all gauge\n`);
    }
    // The server holds at least its listening sockets: handles of type Server.
    const listeningSockets = valueOf(samples, 'nodejs_active_handles', { type: 'Server' })!;
    expect(listeningSockets).toBeGreaterThanOrEqual(1);
    const handles = samples.filter((sample) => sample.name === 'nodejs_active_handles');
    expect(valueOf(samples, 'nodejs_active_handles_all')).toBe(handles.reduce((sum, { value }) => sum + value, 0));
    expect(valueOf(samples, 'nodejs_active_resources_all')).toBeGreaterThanOrEqual(listeningSockets);
  });
});
