import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ClientRolesModule } from '../access/client-roles.module.js';
import { AdminReloadController } from './admin-reload.controller.js';
import { DatasetController } from './dataset.controller.js';
import { DatasetHealthIndicator } from './dataset.health.js';
import { DatasetService } from './dataset.service.js';
import { ReloadTriggersService } from './reload-triggers.service.js';

/**
 * The served dataset: `DatasetService` loads it before the port opens and swaps in new
 * versions; reloads come from SIGHUP and the file watch (`ReloadTriggersService`) and
 * from `POST /admin/reload`; `GET /dataset` describes it; readiness asks its health
 * indicator.
 */
@Module({
  imports: [TerminusModule, ClientRolesModule],
  controllers: [DatasetController, AdminReloadController],
  providers: [DatasetService, DatasetHealthIndicator, ReloadTriggersService],
  exports: [DatasetService, DatasetHealthIndicator],
})
export class DatasetModule {}
