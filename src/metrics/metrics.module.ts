import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { ClientRolesModule } from '../access/client-roles.module.js';
import { DatasetModule } from '../dataset/dataset.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({
  imports: [DatasetModule, ClientRolesModule],
  providers: [MetricsService],
  exports: [MetricsService],
})
class MetricsRegistryModule {}

/**
 * Prometheus metrics at `GET /metrics`. The module's own default-metrics collection is
 * off: the process metrics are collected once per process (see process-metrics.ts) and
 * served with this application's metrics by `MetricsService`.
 */
@Module({
  imports: [
    MetricsRegistryModule,
    PrometheusModule.registerAsync({
      imports: [MetricsRegistryModule],
      controller: MetricsController,
      useFactory: () => ({ defaultMetrics: { enabled: false } }),
    }),
  ],
  exports: [MetricsRegistryModule],
})
export class MetricsModule {}
