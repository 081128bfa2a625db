import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertKubectl, render, ROOT } from './support/k8s.js';
import { find, only, spec } from './support/k8s-objects.js';
import { parseMetrics } from './support/prometheus.js';
import { assertPromtool, promtool } from './support/promtool.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The PrometheusRule of components/monitoring and the request-rate query of
 * components/traffic-autoscaling, as rendered for production, run by Prometheus's own
 * promtool: the rules pass `promtool check rules`, each alert fires on series shaped
 * like the app's (and stays silent beside them on healthy ones), and the scaling query
 * sums exactly the data routes' request rate. The metric names and route labels they
 * rely on are checked against a real scrape of the app.
 */

const RENDERED = 'k8s/overlays/production';
/** Series Prometheus makes itself. */
const PROMETHEUS_OWN = new Set(['up']);

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const ruleGroups = () =>
  spec(only(render(RENDERED), 'PrometheusRule')).groups as { name: string; rules: AlertRule[] }[];
const alertNames = () => ruleGroups().flatMap((group) => group.rules.map((rule) => rule.alert ?? rule.record));
/** The rules without annotations: promtool compares annotations too, and these tests are about when alerts fire. */
const rulesUnderTest = () => ({
  groups: ruleGroups().map((group) => ({
    ...group,
    rules: group.rules.map((rule) => ({ ...rule, annotations: undefined })),
  })),
});
const scalingQuery = () => {
  const triggers = spec(only(render(RENDERED), 'ScaledObject')).triggers as {
    type: string;
    metadata: Record<string, string>;
  }[];
  return triggers.find((trigger) => trigger.type === 'prometheus')!.metadata.query;
};

/** A series as promtool's input_series takes it, with the labels a ServiceMonitor scrape adds. */
function series(name: string, labels: Record<string, string>, values: string) {
  const all = { job: 'kv-server', namespace: 'kv-server', pod: 'kv-server-a', ...labels };
  const text = Object.entries(all)
    .map(([label, value]) => `${label}="${value}"`)
    .join(',');
  return { series: `${name}{${text}}`, values };
}
const lookUps = (labels: Record<string, string>, values: string) =>
  series('http_requests_total', { method: 'GET', route: '/keys/{key}', status_code: '200', ...labels }, values);
const bucket = (le: string, labels: Record<string, string>, values: string) =>
  series(
    'http_request_duration_seconds_bucket',
    { method: 'GET', route: '/keys/{key}', status_code: '200', le, ...labels },
    values,
  );

interface AlertCase {
  alertname: string;
  input: { series: string; values: string }[];
  silentAt: string;
  firingAt: string;
  /** Labels of every alert expected to fire at `firingAt` (severity included). */
  firing: Record<string, string>[];
}

// Per minute: '0+6000x20' is 100 requests a second, '0+120x20' two a second.
const ALERT_CASES: AlertCase[] = [
  {
    alertname: 'KvServerNoReadyReplica',
    input: [
      series('up', { pod: 'kv-server-a' }, '1 1 0x10'),
      series('up', { pod: 'kv-server-b' }, '1 1 0x10'),
      series('up', { namespace: 'staging', pod: 'kv-server-c' }, '1x12'),
    ],
    silentAt: '3m',
    firingAt: '5m',
    firing: [{ namespace: 'kv-server', severity: 'critical' }],
  },
  {
    alertname: 'KvServerAbsent',
    input: [series('up', { job: 'another-service' }, '1x10')],
    silentAt: '2m',
    firingAt: '6m',
    firing: [{ job: 'kv-server', severity: 'critical' }],
  },
  {
    alertname: 'KvServerReloadFailing',
    input: [
      series('kv_reloads_total', { outcome: 'failure' }, '0 0 0 1x22'),
      series('kv_reloads_total', { outcome: 'success' }, '0+1x25'),
      series('kv_reloads_total', { outcome: 'failure', pod: 'kv-server-b' }, '0x25'),
    ],
    silentAt: '2m',
    firingAt: '5m',
    firing: [{ namespace: 'kv-server', pod: 'kv-server-a', severity: 'warning' }],
  },
  {
    alertname: 'KvServerPollFailing',
    input: [
      series('kv_polls_total', { outcome: 'failure' }, '0+1x20'),
      series('kv_polls_total', { outcome: 'unchanged' }, '0x20'),
      // Some of pod b's polls succeed: a flaky source, not a broken one.
      series('kv_polls_total', { outcome: 'failure', pod: 'kv-server-b' }, '0+1x20'),
      series('kv_polls_total', { outcome: 'unchanged', pod: 'kv-server-b' }, '0+1x20'),
    ],
    silentAt: '0m',
    firingAt: '10m',
    firing: [{ namespace: 'kv-server', pod: 'kv-server-a', severity: 'warning' }],
  },
  {
    alertname: 'KvServerHighErrorRate',
    input: [
      lookUps({}, '0+6000x20'),
      lookUps({ status_code: '500' }, '0+120x20'),
      // Readiness answers 503 while pods load or stop: not a failed look-up.
      lookUps({ namespace: 'staging' }, '0+6000x20'),
      lookUps({ namespace: 'staging', route: '/health/ready', status_code: '503' }, '0+6000x20'),
    ],
    silentAt: '3m',
    firingAt: '12m',
    firing: [{ namespace: 'kv-server', severity: 'critical' }],
  },
  {
    alertname: 'KvServerHighLatency',
    input: [
      // 97% within 1 ms, 1% more within 25 ms, the rest within 50 ms: p99 above 25 ms.
      bucket('0.001', {}, '0+5820x20'),
      bucket('0.025', {}, '0+5880x20'),
      bucket('0.05', {}, '0+6000x20'),
      bucket('+Inf', {}, '0+6000x20'),
      // 99.9% within 1 ms.
      bucket('0.001', { namespace: 'staging' }, '0+5994x20'),
      bucket('+Inf', { namespace: 'staging' }, '0+6000x20'),
    ],
    silentAt: '5m',
    firingAt: '15m',
    firing: [{ namespace: 'kv-server', severity: 'warning' }],
  },
  {
    alertname: 'KvServerDatasetStale',
    input: [
      // Loaded at time 0; staging's at 25 hours.
      series('kv_dataset_loaded_timestamp_seconds', {}, '0x1700'),
      series('kv_dataset_loaded_timestamp_seconds', { namespace: 'staging' }, '90000x1700'),
    ],
    silentAt: '25h',
    firingAt: '27h',
    firing: [{ namespace: 'kv-server', severity: 'warning' }],
  },
  {
    alertname: 'KvServerVersionSkew',
    input: [
      series('kv_dataset_info', { version: 'v1' }, '1x40'),
      series('kv_dataset_info', { version: 'v2', pod: 'kv-server-b' }, '1x40'),
      series('kv_dataset_info', { namespace: 'staging', version: 'v1' }, '1x40'),
      series('kv_dataset_info', { namespace: 'staging', version: 'v1', pod: 'kv-server-b' }, '1x40'),
    ],
    silentAt: '20m',
    firingAt: '35m',
    firing: [{ namespace: 'kv-server', severity: 'warning' }],
  },
];

function alertTest({ alertname, input, silentAt, firingAt, firing }: AlertCase) {
  return {
    interval: '1m',
    input_series: input,
    alert_rule_test: [
      { eval_time: silentAt, alertname, exp_alerts: [] },
      { eval_time: firingAt, alertname, exp_alerts: firing.map((labels) => ({ exp_labels: labels })) },
    ],
  };
}

beforeAll(() => {
  assertKubectl();
  assertPromtool();
});

it('passes promtool check rules, annotations included', async () => {
  const result = await promtool({ groups: ruleGroups() });
  expect(result).toMatchObject({ code: 0 });
  expect(result.output).toContain(`SUCCESS: ${alertNames().length} rules found`);
});

it('has a test case below for every alert', () => {
  expect(ALERT_CASES.map((testCase) => testCase.alertname).sort()).toEqual([...alertNames()].sort());
});

it.each(ALERT_CASES.map((testCase) => [testCase.alertname, testCase]))(
  '%s fires on its condition, only where it holds, after its `for`',
  async (_name, testCase) => {
    const result = await promtool(rulesUnderTest(), { tests: [alertTest(testCase as AlertCase)] });
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  },
);

it('promtool fails a wrong expectation (so a pass above means something)', async () => {
  const wrong = { ...ALERT_CASES[0], firingAt: ALERT_CASES[0].silentAt };
  const result = await promtool(rulesUnderTest(), { tests: [alertTest(wrong)] });
  expect(result.code).not.toBe(0);
  expect(result.output).toContain('FAILED');
});

it("the scaling query sums the data routes' request rate in its namespace, not probes or scrapes", async () => {
  const input = [
    lookUps({}, '0+3600x10'), // 60/s
    lookUps({ route: '/key/{key}', pod: 'kv-server-b', status_code: '404' }, '0+1800x10'), // 30/s
    lookUps({ route: '/keys/_mget', method: 'POST' }, '0+600x10'), // 10/s
    lookUps({ route: '/keys' }, '0+300x10'), // 5/s
    lookUps({ route: '/health/ready' }, '0+60000x10'),
    lookUps({ route: '/metrics' }, '0+60000x10'),
    lookUps({ namespace: 'staging' }, '0+60000x10'),
  ];
  const test = {
    interval: '1m',
    input_series: input,
    promql_expr_test: [{ expr: scalingQuery(), eval_time: '5m', exp_samples: [{ labels: '{}', value: 105 }] }],
  };
  const result = await promtool({ groups: [] }, { tests: [test] });
  expect(result.output).toContain('SUCCESS');
  expect(result.code).toBe(0);
});

it('selects the namespace production runs in', () => {
  const namespace = only(render(RENDERED), 'Deployment').metadata.namespace;
  expect(namespace).toEqual(expect.any(String));
  expect(scalingQuery()).toContain(`namespace="${namespace}"`);
  // job is the scraped Service's name (the Prometheus Operator's default).
  expect(find(render(RENDERED), 'ServiceMonitor')).toHaveLength(1);
  expect(scalingQuery()).toContain(`job="${only(render(RENDERED), 'Service').metadata.name}"`);
});

describe("against the app's own /metrics", () => {
  let testApp: TestApp;
  let exposed: Set<string>;
  let routes: Set<string>;
  let requestLabels: string[];

  beforeAll(async () => {
    testApp = await startTestApp(await readFile(join(ROOT, 'data', 'example.data')));
    const inject = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      testApp.app.inject({ method, url, payload: payload as string });
    for (const url of ['/keys/a00087fb-f747-4cb8-adfe-747d23673f27', '/key/nope', '/keys?limit=1', '/health/ready']) {
      await inject('GET', url);
    }
    await inject('POST', '/keys/_mget', { keys: ['nope'] });
    const text = (await inject('GET', '/metrics')).body;
    exposed = new Set();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exposed.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) exposed.add(name + suffix);
    }
    const requests = parseMetrics(text).filter((sample) => sample.name === 'http_requests_total');
    routes = new Set(requests.map((sample) => sample.labels.route));
    requestLabels = [...new Set(requests.flatMap((sample) => Object.keys(sample.labels)))].sort();
  });
  afterAll(() => testApp.close());

  const metricNames = (expr: string) => [...expr.matchAll(/([a-zA-Z_:][\w:]*)\{/g)].map((match) => match[1]);

  it('exposes every metric the rules and the scaling query select', () => {
    const used = new Set([
      ...ruleGroups().flatMap((group) => group.rules.flatMap((rule) => metricNames(rule.expr))),
      ...metricNames(scalingQuery()),
    ]);
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) {
      if (PROMETHEUS_OWN.has(name)) continue;
      expect({ name, exposed: exposed.has(name) }).toEqual({ name, exposed: true });
    }
  });

  it('labels requests as the test series above do, and the route patterns pick the data routes', () => {
    expect(requestLabels).toEqual(['method', 'route', 'status_code']);
    const selectors = [
      scalingQuery(),
      ...ruleGroups().flatMap((group) => group.rules.map((rule) => rule.expr)),
    ].flatMap((expr) => [...expr.matchAll(/route=~"([^"]+)"/g)].map((match) => match[1]));
    expect(selectors.length).toBeGreaterThanOrEqual(3);
    for (const pattern of selectors) {
      // PromQL anchors its regular expressions.
      const matches = new RegExp(`^(?:${pattern})$`);
      const picked = [...routes].filter((route) => matches.test(route));
      expect({ pattern, healthPicked: picked.some((route) => route.startsWith('/health')) }).toEqual({
        pattern,
        healthPicked: false,
      });
      expect(picked.length).toBeGreaterThan(0);
    }
    const dataRoutes = new RegExp(`^(?:${/route=~"([^"]+)"/.exec(scalingQuery())![1]})$`);
    expect([...routes].filter((route) => dataRoutes.test(route)).sort()).toEqual([
      '/key/{key}',
      '/keys',
      '/keys/_mget',
      '/keys/{key}',
    ]);
  });
});
