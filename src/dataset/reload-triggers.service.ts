import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/environment.js';
import { DatasetService } from './dataset.service.js';
import { FileChangeWatcher } from './file-change-watcher.js';

/** Reloads the dataset on SIGHUP and, with KV_WATCH=true, when the data file changes. */
@Injectable()
export class ReloadTriggersService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReloadTriggersService.name);
  private watcher: FileChangeWatcher | undefined;
  private readonly onSighup = () => void this.datasets.reload('SIGHUP');

  constructor(
    private readonly datasets: DatasetService,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    process.on('SIGHUP', this.onSighup);
    const { watch, filePath } = this.config.get('dataset', { infer: true });
    if (!watch) return;
    this.watcher = new FileChangeWatcher(
      filePath,
      () => void this.datasets.reload('file change'),
      (error) =>
        this.logger.error({ msg: 'Watching the data file failed; reload with SIGHUP instead', error: error.message }),
    );
    await this.watcher.start();
    this.logger.log({ msg: 'Watching the data file for changes', path: filePath });
  }

  onApplicationShutdown(): void {
    process.off('SIGHUP', this.onSighup);
    this.watcher?.close();
  }
}
