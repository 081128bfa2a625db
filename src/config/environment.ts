import { IsIn, IsOptional, Matches, validateSync, type ValidationError } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import type { MalformedPolicy } from '../store/load-dataset.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PORT_PATTERN = /^(0|[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/;

/**
 * The environment as it arrives: every value a string, validated here so that a bad
 * one stops start-up with a message naming the variable and the accepted form.
 * The `message` of each rule is that accepted form.
 */
class EnvironmentVariables {
  @IsOptional()
  @Matches(PORT_PATTERN, { message: 'an integer from 0 to 65535 (0 picks a free port)' })
  PORT?: string;

  @IsOptional()
  @Matches(/^[^\s]+$/, { message: 'an IP address or host name to listen on, such as 0.0.0.0 or 127.0.0.1' })
  HOST?: string;

  @IsOptional()
  KV_DATA_FILE_PATH?: string;

  @IsOptional()
  @IsIn(['fail', 'skip'], { message: '"fail" or "skip"' })
  KV_ON_MALFORMED?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: string;

  @IsOptional()
  @Matches(/^(0|[1-9]\d{0,5})$/, { message: 'a whole number of milliseconds from 0 to 999999' })
  KV_SHUTDOWN_DELAY_MS?: string;
}

/** The validated, typed configuration the application reads through `ConfigService<AppConfig, true>`. */
export interface AppConfig {
  port: number;
  host: string;
  dataFilePath: string;
  onMalformed: MalformedPolicy;
  logLevel: LogLevel;
  /** On SIGTERM: how long to keep serving while reporting not-ready, before draining. */
  shutdownDelayMs: number;
}

/** Raised for an invalid environment; its message is one paragraph meant for the operator. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * The "custom validate function" of @nestjs/config: takes the raw environment and
 * returns the typed configuration, or throws a `ConfigurationError`.
 */
export function validateEnvironment(raw: Record<string, unknown>): AppConfig {
  const env = plainToInstance(EnvironmentVariables, withoutEmptyValues(raw));
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigurationError(describeErrors(errors));
  return {
    port: env.PORT === undefined ? 8080 : Number(env.PORT),
    host: env.HOST ?? '0.0.0.0',
    dataFilePath: env.KV_DATA_FILE_PATH ?? 'data/example.data',
    onMalformed: (env.KV_ON_MALFORMED ?? 'fail') as MalformedPolicy,
    logLevel: (env.LOG_LEVEL ?? 'info') as LogLevel,
    shutdownDelayMs: Number(env.KV_SHUTDOWN_DELAY_MS ?? 0),
  };
}

/** An empty variable counts as unset; the names of choices are case-insensitive. */
function withoutEmptyValues(raw: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string' && value !== '') result[name] = value;
  }
  if (result.LOG_LEVEL !== undefined) result.LOG_LEVEL = result.LOG_LEVEL.toLowerCase();
  if (result.KV_ON_MALFORMED !== undefined) result.KV_ON_MALFORMED = result.KV_ON_MALFORMED.toLowerCase();
  return result;
}

function describeErrors(errors: ValidationError[]): string {
  const problems = errors.map((error) => {
    const accepted = Object.values(error.constraints ?? {}).join(' or ');
    return `${error.property}=${JSON.stringify(error.value)} is not valid: expected ${accepted}`;
  });
  return `Invalid configuration: ${problems.join('; ')}. Fix the environment variable${problems.length > 1 ? 's' : ''} and start again.`;
}
