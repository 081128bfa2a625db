import { ConfigService } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { performance } from 'node:perf_hooks';
import type { AppConfig } from './config/environment.js';
import { ConfigurationError } from './config/environment.js';
import { createApp } from './create-app.js';
import { handleShutdownSignals } from './lifecycle/graceful-shutdown.js';
import { DatasetLoadError } from './store/load-dataset.js';

async function main(): Promise<void> {
  const startedAt = performance.now();
  const app = await createApp(process.env);
  const logger = app.get(Logger);
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  const { port, host, shutdownDelayMs } = config.get('http', { infer: true });
  handleShutdownSignals(app, shutdownDelayMs, logger);
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw describeListenError(error, host, port);
  }
  const address = app.getHttpServer().address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  logger.log({
    msg: `kv-server listening on http://${host}:${boundPort}`,
    port: boundPort,
    host,
    startupMs: Math.round(performance.now() - startedAt),
  });
}

function describeListenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new StartupError(
      `Cannot listen on ${host}:${port}: the port is already in use. Stop the other process or set PORT to a free port.`,
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new StartupError(
      `Cannot listen on ${host}:${port}: ${host} is not an address of this machine. Set HOST to one (0.0.0.0 for all).`,
    );
  if (code === 'EACCES')
    return new StartupError(
      `Cannot listen on ${host}:${port}: permission denied (ports below 1024 need privileges). Set PORT to 1024 or above.`,
    );
  return error instanceof Error ? error : new Error(String(error));
}

class StartupError extends Error {}

/** One paragraph on stderr, no stack trace, exit code 1: what an operator needs from a failed start. */
function exitWithError(error: unknown): void {
  const known =
    error instanceof ConfigurationError || error instanceof DatasetLoadError || error instanceof StartupError;
  const message = known
    ? error.message
    : `Unexpected error during start-up: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`kv-server: ${message}\n`, () => process.exit(1));
}

main().catch(exitWithError);
