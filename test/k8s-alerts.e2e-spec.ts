import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertKubectl, render, ROOT } from './support/k8s.js';
import { find, only, spec } from './support/k8s-objects.js';
import { parseMetrics } from './support/prometheus.js';
import { assertPromtool, promtool } from './support/promtool.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { ALERT_CASES, alertTest, lookUps, type AlertCase } from './support/k8s-alert-cases.js';

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
