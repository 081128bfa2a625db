import type { Logger } from 'pino';

/**
 * The access log (KV_ACCESS_LOG=true): one JSON line per request with its id, method,
 * route template, status and duration. The URL holds the key, and keys are never logged
 * above debug, so with LOG_LEVEL=debug (or trace) the line is written at debug and
 * carries the URL; otherwise at info and without it.
 */
export class AccessLog {
  private readonly withUrl: boolean;

  constructor(private readonly logger: Logger) {
    this.withUrl = logger.isLevelEnabled('debug');
  }

  write(requestId: string, method: string, route: string, url: string, statusCode: number, durationMs: number): void {
    const line = { reqId: requestId, method, route, statusCode, durationMs: Math.round(durationMs * 1000) / 1000 };
    if (this.withUrl) this.logger.debug({ ...line, url }, 'request');
    else this.logger.info(line, 'request');
  }
}
