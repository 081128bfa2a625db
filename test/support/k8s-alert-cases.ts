/** The alert rules' test cases: promtool input series, and when each alert must be silent and firing. */
/** A series as promtool's input_series takes it, with the labels a ServiceMonitor scrape adds. */
export function series(name: string, labels: Record<string, string>, values: string) {
  const all = { job: 'kv-server', namespace: 'kv-server', pod: 'kv-server-a', ...labels };
  const text = Object.entries(all)
    .map(([label, value]) => `${label}="${value}"`)
    .join(',');
  return { series: `${name}{${text}}`, values };
}
export const lookUps = (labels: Record<string, string>, values: string) =>
  series('http_requests_total', { method: 'GET', route: '/keys/{key}', status_code: '200', ...labels }, values);
export const bucket = (le: string, labels: Record<string, string>, values: string) =>
  series(
    'http_request_duration_seconds_bucket',
    { method: 'GET', route: '/keys/{key}', status_code: '200', le, ...labels },
    values,
  );

export interface AlertCase {
  alertname: string;
  input: { series: string; values: string }[];
  silentAt: string;
  firingAt: string;
  /** Labels of every alert expected to fire at `firingAt` (severity included). */
  firing: Record<string, string>[];
}

// Per minute: '0+6000x20' is 100 requests a second, '0+120x20' two a second.
export const ALERT_CASES: AlertCase[] = [
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

export function alertTest({ alertname, input, silentAt, firingAt, firing }: AlertCase) {
  return {
    interval: '1m',
    input_series: input,
    alert_rule_test: [
      { eval_time: silentAt, alertname, exp_alerts: [] },
      { eval_time: firingAt, alertname, exp_alerts: firing.map((labels) => ({ exp_labels: labels })) },
    ],
  };
}
