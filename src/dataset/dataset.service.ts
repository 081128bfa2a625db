import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/environment.js';
import { MALFORMED_REASON_TEXT } from '../store/index.js';
import { loadDatasetInWorker, type LoadProgress } from '../store/index.js';
import type { Dataset, DatasetSummary } from '../store/index.js';
import { createDatasetSource, type DatasetSource, type SourceFile } from './dataset-source.js';
import { DatasetSourceError } from './download.js';
import { takeFirstLoad } from './first-load.js';
import { followKeyOrder, servingInKeyOrder } from './key-order-follower.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface ReloadOutcome {
  at: string;
  trigger: string;
  outcome: 'success' | 'failure';
  error: string | null;
}

/** A check of a remote source: by the poll timer, SIGHUP or POST /admin/reload. */
export interface PollOutcome {
  at: string;
  outcome: 'unchanged' | 'updated' | 'failure';
  error: string | null;
}

export type DatasetReport = DatasetSummary & { lastReload: ReloadOutcome | null; lastPoll: PollOutcome | null };

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
 *
 * Each load first asks the `DatasetSource` for a local file: the configured path, or
 * a download of KV_DATA_URL or of the file a manifest names. A remote source may
 * answer "unchanged" (nothing is loaded); every remote check is a poll, shown in
 * `lastPoll` and counted, whichever trigger ran it.
 */
@Injectable()
export class DatasetService implements OnModuleInit {
  private readonly logger = new Logger(DatasetService.name);
  private current: Dataset | undefined;
  private lastReload: ReloadOutcome | null = null;
  private running: Promise<ReloadResult> | undefined;
  private queued: Promise<ReloadResult> | undefined;
  private lastPoll: PollOutcome | null = null;
  private readonly outcomeListeners: ((outcome: ReloadOutcome) => void)[] = [];
  private readonly pollListeners: ((poll: PollOutcome) => void)[] = [];
  private readonly downloadListeners: ((bytes: number, durationMs: number) => void)[] = [];
  private readonly source: DatasetSource;
  /** How long after a failed reload to try again to build a missing key order (tests shorten it). */
  keyOrderRetryMs = 30_000;

  constructor(private readonly config: ConfigService<AppConfig, true>) {
    const notify = (bytes: number, durationMs: number) => {
      for (const listener of this.downloadListeners) listener(bytes, durationMs);
    };
    this.source = createDatasetSource(
      config.get('dataset', { infer: true }),
      config.get('remote', { infer: true }),
      notify,
    );
  }

  /** The first load: a source that cannot give a file, or a file that does not load, fails start-up. */
  async onModuleInit(): Promise<void> {
    const file = await this.source.check();
    if (file === 'unchanged')
      throw new DatasetSourceError('The source answered "unchanged" before any version was loaded');
    this.current = await this.loadSettled(file);
    followKeyOrder(this.current, {
      logger: this.logger,
      isServing: (dataset) => this.current === dataset,
      reload: () => this.reload('key order failure'),
      retryMs: () => this.keyOrderRetryMs,
    });
  }

  /** Whether the source is downloaded, and so checked by polls. */
  get remote(): boolean {
    return this.source.remote;
  }

  /** The serving dataset. Read it once per request. */
  get serving(): Dataset {
    if (this.current === undefined) throw new Error('The dataset is not loaded yet');
    return this.current;
  }

  /**
   * The serving dataset once it can answer listings: a first load serves look-ups
   * before its keys are sorted, and a listing waits for the sort (key-order-follower.ts).
   */
  servingInKeyOrder(): Promise<Dataset> {
    return servingInKeyOrder(() => this.serving);
  }

  get isLoaded(): boolean {
    return this.current !== undefined;
  }

  /** What `GET /dataset` answers. */
  report(): DatasetReport {
    return { ...this.serving.summary, lastReload: this.lastReload, lastPoll: this.lastPoll };
  }

  /** Called after every check of a remote source (the `kv_polls_total` counter). */
  onPoll(listener: (poll: PollOutcome) => void): void {
    this.pollListeners.push(listener);
  }

  /** Called after every download, finished or not, with the bytes received and the time taken. */
  onDownload(listener: (bytes: number, durationMs: number) => void): void {
    this.downloadListeners.push(listener);
  }

  /** A timed check of the source; skipped while a reload runs, which checks the source itself. */
  async poll(): Promise<void> {
    if (this.running !== undefined || this.queued !== undefined) return;
    await this.reload('poll');
  }

  /** Called after every reload, successful or not (metrics, re-reading API keys). */
  onReload(listener: (outcome: ReloadOutcome) => void): void {
    this.outcomeListeners.push(listener);
  }

  /**
   * Asks the source for the newest version (a remote one may answer "unchanged": then
   * nothing is loaded), loads it and swaps it in; resolves with the outcome, never rejects.
   */
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
    let file: SourceFile | 'unchanged';
    try {
      file = await this.source.check();
    } catch (error) {
      const message = messageOf(error);
      this.recordPoll({ at, outcome: 'failure', error: message });
      this.logger.error({ msg: 'Checking the source failed; the serving dataset stays', trigger, error: message });
      return { at, trigger, outcome: 'failure', error: message, dataset: this.serving.summary };
    }
    if (file === 'unchanged') {
      this.recordPoll({ at, outcome: 'unchanged', error: null });
      if (trigger !== 'poll') this.logger.log({ msg: 'The source is unchanged; nothing to reload', trigger });
      return { at, trigger, outcome: 'success', error: null, dataset: this.serving.summary };
    }
    this.logger.log({ msg: 'Reload started', trigger });
    try {
      const next = await this.loadSettled(file);
      const previous = this.current;
      this.current = next;
      // Requests read the serving dataset and use it synchronously, and nothing they
      // send shares the store's memory, so once swapped out nothing can reach the old
      // one: its memory goes back now rather than at some later major GC (which left
      // a pod at up to three datasets' worth after back-to-back reloads).
      previous?.store.release?.();
      const previousVersion = previous?.summary.version;
      this.lastReload = { at, trigger, outcome: 'success', error: null };
      const version = next.summary.version;
      this.logger.log({ msg: 'Reload succeeded', trigger, previousVersion, version });
      if (version !== previousVersion) {
        this.logger.log({
          msg: `Dataset version changed from ${previousVersion} to ${version}`,
          previousVersion,
          version,
          label: file.label,
          source: file.source,
        });
      }
      this.recordPoll({ at, outcome: 'updated', error: null });
    } catch (error) {
      const message = messageOf(error);
      this.lastReload = { at, trigger, outcome: 'failure', error: message };
      this.logger.error({ msg: 'Reload failed; the previous dataset keeps serving', trigger, error: message });
      this.recordPoll({ at, outcome: 'failure', error: message });
    }
    for (const listener of this.outcomeListeners) listener(this.lastReload);
    return { ...this.lastReload, dataset: this.serving.summary };
  }

  private recordPoll(poll: PollOutcome): void {
    if (!this.source.remote) return;
    this.lastPoll = poll;
    for (const listener of this.pollListeners) listener(poll);
  }

  /** Loads the file the source gave and tells the source whether it serves now. */
  private async loadSettled(file: SourceFile): Promise<Dataset> {
    let dataset: Dataset;
    try {
      dataset = await this.load(file.path);
    } catch (error) {
      await this.source.settle(file, false);
      // A download's error names the URL it came from, not the temporary file just removed.
      if (error instanceof Error && file.path !== file.source) {
        error.message = error.message.split(file.path).join(file.source);
        error.stack = error.stack?.split(file.path).join(file.source);
      }
      throw error;
    }
    dataset.summary.source = file.source;
    await this.source.settle(file, true);
    return dataset;
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

  private async load(filePath: string): Promise<Dataset> {
    const { onMalformed } = this.config.get('dataset', { infer: true });
    this.logger.log(`Loading dataset from ${filePath}`);
    // Built in a worker thread by the compact engine: the event loop keeps serving (the
    // old dataset, during a reload) while a large file loads.
    // At start-up the entry point has usually begun this load already (first-load.ts).
    const onProgress = (progress: LoadProgress) => this.logProgress(filePath, progress);
    const dataset = await (takeFirstLoad(filePath, onMalformed, onProgress) ??
      loadDatasetInWorker(filePath, { onMalformed, onProgress }));
    const { summary, malformedSamples } = dataset;
    for (const { line, reason } of malformedSamples) {
      this.logger.warn(`Skipped malformed line ${line} of ${filePath}: ${MALFORMED_REASON_TEXT[reason]}`);
    }
    if (summary.keys === 0) this.logger.warn(`The data file ${filePath} holds no keys; every look-up will answer 404`);
    this.logger.log({ msg: 'Dataset loaded', dataset: summary });
    return dataset;
  }
}
