import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DatasetService } from './dataset.service.js';

/** Up while a dataset is loaded; names its version and size so a probe's body says what is served. */
@Injectable()
export class DatasetHealthIndicator {
  constructor(
    private readonly datasets: DatasetService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  isLoaded(key = 'dataset') {
    const indicator = this.indicators.check(key);
    if (!this.datasets.isLoaded) return indicator.down({ message: 'no dataset loaded' });
    const { version, keys } = this.datasets.serving.summary;
    return indicator.up({ version, keys });
  }
}
