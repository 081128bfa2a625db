import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';

/**
 * The process's shutdown state. Readiness reads it: from the moment SIGTERM arrives
 * the replica reports not-ready, so Kubernetes removes it from the Service's endpoints
 * while it still serves the requests already routed to it.
 */
@Injectable()
export class ShutdownService {
  private shuttingDownSince: Date | undefined;

  constructor(private readonly indicators: HealthIndicatorService) {}

  get isShuttingDown(): boolean {
    return this.shuttingDownSince !== undefined;
  }

  begin(): void {
    this.shuttingDownSince ??= new Date();
  }

  /** A Terminus indicator: down once shutdown has begun. */
  isAcceptingTraffic(key = 'lifecycle') {
    const indicator = this.indicators.check(key);
    if (this.shuttingDownSince !== undefined) {
      return indicator.down({ message: 'shutting down', since: this.shuttingDownSince.toISOString() });
    }
    return indicator.up();
  }
}
