import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/environment.js';
import { MALFORMED_REASON_TEXT } from '../store/line-parser.js';
import { loadDataset, type Dataset, type DatasetSummary } from '../store/load-dataset.js';

export interface ReloadOutcome {
  at: string;
  trigger: string;
  outcome: 'success' | 'failure';
  error: string | null;
}

export type DatasetReport = DatasetSummary & { lastReload: ReloadOutcome | null };

/**
 * Owns the dataset being served. It is loaded before the application starts
 * listening (Nest awaits `onModuleInit` before `listen`), so a replica that accepts
 * connections always has data; a load error fails start-up.
 */
@Injectable()
export class DataLoaderService implements OnModuleInit {
  private readonly logger = new Logger(DataLoaderService.name);
  private current: Dataset | undefined;
  private lastReload: ReloadOutcome | null = null;

  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  async onModuleInit(): Promise<void> {
    this.current = await this.load();
  }

  /** The serving dataset; throws before the first load, which Nest never lets a request see. */
  get dataset(): Dataset {
    if (this.current === undefined) throw new Error('The dataset is not loaded yet');
    return this.current;
  }

  /** What `GET /dataset` answers. */
  report(): DatasetReport {
    return { ...this.dataset.summary, lastReload: this.lastReload };
  }

  get isLoaded(): boolean {
    return this.current !== undefined;
  }

  private async load(): Promise<Dataset> {
    const path = this.config.get('dataFilePath', { infer: true });
    const onMalformed = this.config.get('onMalformed', { infer: true });
    this.logger.log(`Loading dataset from ${path}`);
    const dataset = await loadDataset(path, { onMalformed });
    const { summary, malformedSamples } = dataset;
    for (const { line, reason } of malformedSamples) {
      this.logger.warn(`Skipped malformed line ${line} of ${path}: ${MALFORMED_REASON_TEXT[reason]}`);
    }
    if (summary.keys === 0) this.logger.warn(`The data file ${path} holds no keys; every look-up will answer 404`);
    this.logger.log({ msg: 'Dataset loaded', dataset: summary });
    return dataset;
  }
}
