import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/environment.js';
import { DatasetService } from './dataset.service.js';
import { FileChangeWatcher } from './file-change-watcher.js';
import { firstLoadBaseline, takeEarlySighup } from './first-load.js';

/**
 * Reloads the dataset on SIGHUP; with KV_WATCH=true when the data file changes; with
 * KV_POLL_INTERVAL when a check of the remote source finds a new version.
 */
@Injectable()
export class ReloadTriggersService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReloadTriggersService.name);
  private watcher: FileChangeWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly onSighup = () => void this.datasets.reload('SIGHUP');

  constructor(
    private readonly datasets: DatasetService,
    private readonly config: ConfigService<AppConfig, true>,
  ) {
    const { watch, filePath } = this.config.get('dataset', { infer: true });
    if (!watch) return;
    // Compared with the file as the first load found it (started by the entry point, or
    // from now, before the first load ends), so that no change after that read is lost.
    this.watcher = new FileChangeWatcher(
      filePath,
      () => void this.datasets.reload('file change'),
      (error) =>
        this.logger.error({ msg: 'Watching the data file failed; reload with SIGHUP instead', error: error.message }),
      { baseline: firstLoadBaseline(filePath) },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    process.on('SIGHUP', this.onSighup);
    // A SIGHUP during start-up asked for the newest data: the first load may predate it.
    if (takeEarlySighup()) void this.datasets.reload('SIGHUP');
    const { pollIntervalSeconds } = this.config.get('remote', { infer: true });
    if (this.datasets.remote && pollIntervalSeconds > 0) this.schedulePoll(pollIntervalSeconds * 1000);
    if (this.watcher === undefined) return;
    await this.watcher.start();
    this.logger.log({
      msg: 'Watching the data file for changes',
      path: this.config.get('dataset', { infer: true }).filePath,
    });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    process.off('SIGHUP', this.onSighup);
    this.watcher?.close();
  }

  /**
   * The next poll in `intervalMs` plus up to 10% (so a fleet does not poll in step),
   * counted from the end of the last one: polls never overlap. Unref'd: a timer
   * alone keeps no process alive.
   */
  private schedulePoll(intervalMs: number): void {
    if (this.stopped) return;
    const delay = intervalMs * (1 + Math.random() * 0.1);
    this.pollTimer = setTimeout(() => {
      void this.datasets.poll().finally(() => this.schedulePoll(intervalMs));
    }, delay);
    this.pollTimer.unref();
  }
}
