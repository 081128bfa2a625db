/** Start-up after the entry point (main.ts): the application built, listening, and its errors reported. */
import { ConfigService } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { performance } from 'node:perf_hooks';
import type { AppConfig } from './config/environment.js';
import { ConfigurationError } from './config/environment.js';
import { createApp } from './create-app.js';
import {
  DEFAULT_EXTRA_LISTENERS,
  openAcceptListeners,
  probePort,
  supportsReusePort,
  type AcceptListeners,
} from './http/accept-listeners.js';
import { handleShutdownSignals } from './lifecycle/graceful-shutdown.js';
import { DatasetSourceError, removePartialDownloadsNow } from './dataset/download.js';
import { DatasetLoadError } from './store/index.js';

async function main(): Promise<void> {
  // A shutdown (or a failed start) during the start-up download exits in the middle of
  // it, through process.exit: the partial file goes too, not a later start's clean-up.
  process.on('exit', removePartialDownloadsNow);
  const app = await createApp(process.env);
  const logger = app.get(Logger);
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);
  const { port, host, shutdownDelayMs, extraListeners } = config.get('http', { infer: true });
  const wanted = extraListeners === 'auto' ? DEFAULT_EXTRA_LISTENERS : extraListeners;
  const reusePort = wanted > 0 && supportsReusePort();
  if (wanted > 0 && !reusePort && extraListeners !== 'auto') {
    logger.warn(`KV_EXTRA_LISTENERS=${wanted} needs Node.js 22.12 or later; using one listening socket`);
  }

  let listeners: AcceptListeners | undefined;
  let boundPort = port;
  handleShutdownSignals(app, shutdownDelayMs, logger, () => listeners?.close());
  try {
    if (reusePort) boundPort = await probePort(host, port);
    await app.listen({ port: boundPort, host, reusePort } as { port: number; host: string });
    const address = app.getHttpServer().address();
    if (typeof address === 'object' && address !== null) boundPort = address.port;
    if (reusePort) listeners = await openAcceptListeners(app.getHttpServer(), host, boundPort, wanted);
  } catch (error) {
    await listeners?.close();
    await app.close().catch(() => undefined);
    throw describeListenError(error, host, port);
  }
  logger.log({
    msg: `kv-server listening on http://${host}:${boundPort}`,
    port: boundPort,
    host,
    listeningSockets: 1 + (listeners?.count ?? 0),
    node: process.versions.node,
    // performance.now() counts from the process's start: this is spawn to ready.
    startupMs: Math.round(performance.now()),
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
    error instanceof ConfigurationError ||
    error instanceof DatasetLoadError ||
    error instanceof DatasetSourceError ||
    error instanceof StartupError;
  const message = known
    ? error.message
    : `Unexpected error during start-up: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`kv-server: ${message}\n`, () => process.exit(1));
}

main().catch(exitWithError);
