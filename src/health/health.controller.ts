import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { DatasetHealthIndicator } from '../dataset/dataset.health.js';
import { ShutdownService } from '../lifecycle/shutdown.service.js';

@ApiTags('operations')
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
  @ApiOperation({ summary: 'Liveness: 200 while the process can serve (no I/O)' })
  live() {
    return this.health.check([]);
  }

  /**
   * Readiness: a dataset is loaded and the process is not shutting down. A 503 takes
   * the replica out of the Service's endpoints.
   */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: 200 while a dataset is loaded and not shutting down; 503 otherwise' })
  ready() {
    return this.health.check([() => this.dataset.isLoaded(), () => this.shutdown.isAcceptingTraffic()]);
  }
}
