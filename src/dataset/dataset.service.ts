import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/environment.js';
import { MALFORMED_REASON_TEXT } from '../store/index.js';
import { loadDatasetInWorker, type LoadProgress } from '../store/index.js';
import type { Dataset, DatasetSummary } from '../store/index.js';

export interface ReloadOutcome {
  at: string;
  trigger: string;
  outcome: 'success' | 'failure';
  error: string | null;
}

export type DatasetReport = DatasetSummary & { lastReload: ReloadOutcome | null };

export interface ReloadResult extends ReloadOutcome {
  /** The dataset serving once the reload has ended: the new one, or the old one after a failure. */
  dataset: DatasetSummary;
}

/**
 * Holds the dataset being served, and loads and swaps in new ones. The first load
 * happens before the application listens (Nest awaits `onModuleInit` before
 * `listen`), so a replica that accepts connections always has data, and a load error
 * fails start-up.
 *
 * Reloads build the new dataset aside while the old one serves, then swap one
 * reference: each request reads `serving` once, so it sees the old or the new data,
 * never a mix. Reloads never overlap; asking during one schedules one more after it,
 * and every request made meanwhile shares that one. So at most two datasets exist at
 * a time, the serving one and the one being built.
 */
@Injectable()
export class DatasetService implements OnModuleInit {
  private readonly logger = new Logger(DatasetService.name);
  private current: Dataset | undefined;
  private lastReload: ReloadOutcome | null = null;
  private running: Promise<ReloadResult> | undefined;
  private queued: Promise<ReloadResult> | undefined;
  private readonly outcomeListeners: ((outcome: ReloadOutcome) => void)[] = [];

  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  async onModuleInit(): Promise<void> {
    this.current = await this.load();
  }

  /** The serving dataset. Read it once per request. */
  get serving(): Dataset {
    if (this.current === undefined) throw new Error('The dataset is not loaded yet');
    return this.current;
  }

  get isLoaded(): boolean {
    return this.current !== undefined;
  }

  /** What `GET /dataset` answers. */
  report(): DatasetReport {
    return { ...this.serving.summary, lastReload: this.lastReload };
  }

  /** Called after every reload, successful or not (metrics, re-reading API keys). */
  onReload(listener: (outcome: ReloadOutcome) => void): void {
    this.outcomeListeners.push(listener);
  }

  /** Loads the file again and swaps it in; resolves with the outcome, never rejects. */
  reload(trigger: string): Promise<ReloadResult> {
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running.then(() => {
        this.queued = undefined;
        return this.startReload(trigger);
      });
      return this.queued;
    }
    return this.startReload(trigger);
  }

  private startReload(trigger: string): Promise<ReloadResult> {
    this.running = this.runReload(trigger).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runReload(trigger: string): Promise<ReloadResult> {
    const at = new Date().toISOString();
    this.logger.log({ msg: 'Reload started', trigger });
    try {
      const next = await this.load();
      const previous = this.current;
      this.current = next;
      // Requests read the serving dataset and use it synchronously, and nothing they
      // send shares the store's memory, so once swapped out nothing can reach the old
      // one: its memory goes back now rather than at some later major GC (which left
      // a pod at up to three datasets' worth after back-to-back reloads).
      previous?.store.release?.();
      const previousVersion = previous?.summary.version;
      this.lastReload = { at, trigger, outcome: 'success', error: null };
      this.logger.log({ msg: 'Reload succeeded', trigger, previousVersion, version: next.summary.version });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.lastReload = { at, trigger, outcome: 'failure', error: message };
      this.logger.error({ msg: 'Reload failed; the previous dataset keeps serving', trigger, error: message });
    }
    for (const listener of this.outcomeListeners) listener(this.lastReload);
    return { ...this.lastReload, dataset: this.serving.summary };
  }

  private logProgress(path: string, { bytes, totalBytes, lines, elapsedMs }: LoadProgress): void {
    const mebibytes = (n: number) => Math.round(n / 1048576);
    this.logger.log({
      msg: `Loading ${path}: ${mebibytes(bytes)} of ${mebibytes(totalBytes)} MiB, ${lines} lines`,
      bytes,
      totalBytes,
      lines,
      mebibytesPerSecond: Math.round(bytes / 1048576 / Math.max(elapsedMs / 1000, 0.001)),
    });
  }

  private async load(): Promise<Dataset> {
    const { filePath, onMalformed } = this.config.get('dataset', { infer: true });
    this.logger.log(`Loading dataset from ${filePath}`);
    // Built in a worker thread by the compact engine: the event loop keeps serving (the
    // old dataset, during a reload) while a large file loads.
    const dataset = await loadDatasetInWorker(filePath, {
      onMalformed,
      onProgress: (progress) => this.logProgress(filePath, progress),
    });
    const { summary, malformedSamples } = dataset;
    for (const { line, reason } of malformedSamples) {
      this.logger.warn(`Skipped malformed line ${line} of ${filePath}: ${MALFORMED_REASON_TEXT[reason]}`);
    }
    if (summary.keys === 0) this.logger.warn(`The data file ${filePath} holds no keys; every look-up will answer 404`);
    this.logger.log({ msg: 'Dataset loaded', dataset: summary });
    return dataset;
  }
}
