import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataLoaderService } from './data-loader.service.js';
import { DatasetController } from './dataset.controller.js';
import { DatasetHealthIndicator } from './dataset.health.js';
import { KeysController } from './keys.controller.js';

@Module({
  imports: [TerminusModule],
  controllers: [KeysController, DatasetController],
  providers: [DataLoaderService, DatasetHealthIndicator],
  exports: [DataLoaderService, DatasetHealthIndicator],
})
export class KeyValueModule {}
