import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * prom-client's default metrics (CPU, memory, event loop lag, GC, handles) in a registry
 * of their own, made once per process: they describe the process, not one application
 * instance, and collecting them twice would start a second set of event-loop and GC
 * observers (tests build many applications in one process).
 */
export function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    for (const rename of RENAMED_GAUGES) renameGauge(processRegistry, rename);
  }
  return processRegistry;
}

interface GaugeRename {
  from: string;
  to: string;
  help: string;
}

/**
 * prom-client names three gauges like counters (`..._total`), which
 * `promtool check metrics` refuses ("non-counter metrics should not have "_total"
 * suffix"; prometheus/client_js#283, open since 2019), and it has no option to rename one
 * default metric. The plain names are taken by the same counts per type
 * (`nodejs_active_handles{type="Socket"}`), so the totals end in `_all`.
 */
const RENAMED_GAUGES: readonly GaugeRename[] = [
  {
    from: 'nodejs_active_handles_total',
    to: 'nodejs_active_handles_all',
    help: 'Number of active libuv handles of every type (the sum of nodejs_active_handles).',
  },
  {
    from: 'nodejs_active_requests_total',
    to: 'nodejs_active_requests_all',
    help: 'Number of active libuv requests of every type (the sum of nodejs_active_requests).',
  },
  {
    from: 'nodejs_active_resources_total',
    to: 'nodejs_active_resources_all',
    help: 'Number of resources keeping the event loop alive, of every type (the sum of nodejs_active_resources).',
  },
];

/**
 * Replaces prom-client's gauge `from` with one named `to` that reports its values: the
 * counting stays prom-client's, only the name changes.
 */
function renameGauge(registry: Registry, { from, to, help }: GaugeRename): void {
  const original = registry.getSingleMetric(from);
  // prom-client leaves out a metric the running Node cannot measure.
  if (original === undefined) return;
  registry.removeSingleMetric(from);
  new Gauge({
    name: to,
    help,
    registers: [registry],
    async collect() {
      const { values } = await original.get();
      this.reset();
      for (const { labels, value } of values) this.set(labels, value);
    },
  });
}
