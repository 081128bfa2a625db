import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { DatasetHealthIndicator } from '../key-value/dataset.health.js';
import { ShutdownService } from '../lifecycle/shutdown.service.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dataset: DatasetHealthIndicator,
    private readonly shutdown: ShutdownService,
  ) {}

  /** Liveness: answers while the event loop does; deliberately no I/O and no dependencies. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * Readiness: a dataset is loaded and the process is not shutting down. A 503 takes
   * the replica out of the Service's endpoints.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.dataset.isLoaded(), () => this.shutdown.isAcceptingTraffic()]);
  }
}
