import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { DatasetHealthIndicator } from '../key-value/dataset.health.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dataset: DatasetHealthIndicator,
  ) {}

  /** Liveness: answers while the event loop does; deliberately no I/O and no dependencies. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Readiness: a dataset is loaded (503 otherwise, which takes the replica out of the Service). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.dataset.isLoaded()]);
  }
}
