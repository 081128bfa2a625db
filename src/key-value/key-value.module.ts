import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataLoaderService } from './data-loader.service.js';
import { DatasetController } from './dataset.controller.js';
import { DatasetHealthIndicator } from './dataset.health.js';
import { KeyQueriesController } from './key-queries.controller.js';
import { KeysController } from './keys.controller.js';
import { ReloadTriggersService } from './reload-triggers.service.js';

@Module({
  imports: [TerminusModule],
  controllers: [KeysController, KeyQueriesController, DatasetController],
  providers: [DataLoaderService, DatasetHealthIndicator, ReloadTriggersService],
  exports: [DataLoaderService, DatasetHealthIndicator],
})
export class KeyValueModule {}
