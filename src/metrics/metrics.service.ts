import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { ClientRolesService } from '../access/client-roles.service.js';
import { DatasetService } from '../dataset/dataset.service.js';
import type { DatasetSummary } from '../store/index.js';
import { processMetricsRegistry } from './process-metrics.js';
import { RequestMetrics, type RequestLabel } from './request-metrics.js';

const REQUEST_LABELS: RequestLabel[] = ['method', 'route', 'status_code'];

/**
 * The service's Prometheus metrics, in a registry of this application instance (tests
 * build many in one process and count exactly).
 *
 * The hot path records one histogram observation per request and nothing else (see
 * `RequestMetrics`): `http_requests_total` and `kv_lookups_total` are derived from the
 * histogram's counts when Prometheus scrapes, and the dataset gauges read the serving
 * dataset then too, so they can never disagree with `/dataset` or lag behind a swap.
 */
@Injectable()
export class MetricsService {
  readonly requests: RequestMetrics;
  readonly contentType: string;
  private readonly registry = new Registry();
  /** What `/metrics` answers: this instance's metrics and the process's. */
  private readonly exposed: Registry;

  constructor(
    private readonly datasets: DatasetService,
    clientRoles: ClientRolesService,
  ) {
    const registers = [this.registry];
    this.requests = new RequestMetrics();
    const duration = this.requests.duration.registerIn(this.registry);
    const requestCounts = () => duration.counts();
    const lookUpRoutes = this.requests.lookUpRoutes;

    new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code',
      labelNames: REQUEST_LABELS,
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of requestCounts()) this.inc(labels, value);
      },
    });
    new Counter({
      name: 'kv_lookups_total',
      help: 'Single-key look-ups (GET and HEAD /keys/{key} and /key/{key}): hit (200, 304) or miss (404)',
      labelNames: ['result'],
      registers,
      collect() {
        let hit = 0;
        let miss = 0;
        for (const { labels, value } of requestCounts()) {
          if (!lookUpRoutes.has(labels.route)) continue;
          if (labels.status_code === '200' || labels.status_code === '304') hit += value;
          else if (labels.status_code === '404') miss += value;
        }
        this.reset();
        this.inc({ result: 'hit' }, hit);
        this.inc({ result: 'miss' }, miss);
      },
    });

    if (clientRoles.enabled) {
      new Counter({
        name: 'kv_client_requests_total',
        help: 'Requests to the key routes and POST /admin/reload by client id (KV_ACCESS_FILE; anonymous: no valid key) and outcome (allowed, denied)',
        labelNames: ['client', 'outcome'],
        registers,
        collect() {
          this.reset();
          for (const { client, outcome, value } of clientRoles.requestCounts()) this.inc({ client, outcome }, value);
        },
      });
    }

    const reloads = new Counter({
      name: 'kv_reloads_total',
      help: 'Dataset reloads (SIGHUP, POST /admin/reload, file change), by outcome',
      labelNames: ['outcome'],
      registers,
    });
    reloads.inc({ outcome: 'success' }, 0);
    reloads.inc({ outcome: 'failure' }, 0);
    datasets.onReload(({ outcome }) => reloads.inc({ outcome }));

    const polls = new Counter({
      name: 'kv_polls_total',
      help: 'Checks of the remote source (KV_DATA_URL, KV_MANIFEST_URL), by outcome',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['unchanged', 'updated', 'failure']) polls.inc({ outcome }, 0);
    datasets.onPoll(({ outcome }) => polls.inc({ outcome }));
    const downloadBytes = new Counter({
      name: 'kv_download_bytes_total',
      help: 'Bytes received by dataset downloads, finished or not',
      registers,
    });
    const downloadDuration = new Gauge({
      name: 'kv_download_duration_seconds',
      help: 'Time the last dataset download took, finished or not',
      registers,
    });
    datasets.onDownload((bytes, durationMs) => {
      downloadBytes.inc(bytes);
      downloadDuration.set(durationMs / 1000);
    });

    this.datasetGauge('kv_dataset_keys', 'Keys in the serving dataset', (summary) => summary.keys);
    this.datasetGauge('kv_dataset_bytes', 'Size of the serving dataset file in bytes', (summary) => summary.bytes);
    this.datasetGauge(
      'kv_dataset_load_duration_seconds',
      'Time the serving dataset took to load',
      (summary) => summary.loadDurationMs / 1000,
    );
    this.datasetGauge(
      'kv_dataset_loaded_timestamp_seconds',
      'When the serving dataset was loaded (Unix time)',
      (summary) => Date.parse(summary.loadedAt) / 1000,
    );
    this.datasetGauge(
      'kv_dataset_malformed_lines_skipped',
      'Malformed lines left out of the serving dataset (KV_ON_MALFORMED=skip)',
      (summary) => summary.malformedSkipped,
    );
    this.datasetGauge(
      'kv_dataset_duplicate_keys_overridden',
      'Lines of the serving dataset overridden by a later line with the same key',
      (summary) => summary.duplicatesOverridden,
    );
    const serving = () => this.servingSummary();
    new Gauge({
      name: 'kv_dataset_info',
      help: 'The serving dataset version (always 1; only the current version is present)',
      labelNames: ['version'],
      registers,
      collect() {
        this.reset();
        const summary = serving();
        if (summary !== undefined) this.set({ version: summary.version }, 1);
      },
    });

    this.exposed = Registry.merge([processMetricsRegistry(), this.registry]);
    this.contentType = this.exposed.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.exposed.metrics();
  }

  private datasetGauge(name: string, help: string, read: (summary: DatasetSummary) => number): void {
    const serving = () => this.servingSummary();
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        const summary = serving();
        if (summary !== undefined) this.set(read(summary));
      },
    });
  }

  private servingSummary(): DatasetSummary | undefined {
    return this.datasets.isLoaded ? this.datasets.serving.summary : undefined;
  }
}
