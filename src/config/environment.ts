import { IsIn, IsOptional, Matches, validateSync, type ValidationError } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { readAccessFile, type ClientEntry } from '../access/access-file.js';
import type { MalformedPolicy } from '../store/index.js';
import { readSecretList, readSecret } from './secrets.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PORT_PATTERN = /^(0|[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/;
const BOOLEAN = ['true', 'false'];
const BOOLEAN_FORM = '"true" or "false" (any case)';

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
  @IsIn(BOOLEAN, { message: BOOLEAN_FORM })
  KV_WATCH?: string;

  @IsOptional()
  @Matches(/^(0|[1-9]\d{0,7})$/, { message: 'a whole number of seconds from 0 to 99999999' })
  KV_CACHE_MAX_AGE?: string;

  @IsOptional()
  @Matches(/^(0|[1-9]\d{0,5})$/, { message: 'a whole number of milliseconds from 0 to 999999' })
  KV_SHUTDOWN_DELAY_MS?: string;

  @IsOptional()
  @Matches(/^(auto|0|[1-9]\d{0,2}|10[01]\d|102[0-4])$/, { message: '"auto" or a whole number from 0 to 1024' })
  KV_EXTRA_LISTENERS?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: string;

  @IsOptional()
  @IsIn(BOOLEAN, { message: BOOLEAN_FORM })
  KV_ACCESS_LOG?: string;
}

/**
 * The validated, typed configuration the application reads through
 * `ConfigService<AppConfig, true>`. Grouped in objects on purpose: @nestjs/config copies
 * top-level string and number values back into `process.env`, and secrets must not go there.
 */
export interface AppConfig {
  http: {
    port: number;
    host: string;
    /** `Cache-Control: max-age` of look-ups; 0 means `no-cache`. */
    cacheMaxAgeSeconds: number;
    /** On SIGTERM: how long to keep serving while reporting not-ready, before draining. */
    shutdownDelayMs: number;
    /** Additional SO_REUSEPORT listening sockets (see http/accept-listeners.ts); 'auto' picks by runtime. */
    extraListeners: number | 'auto';
  };
  dataset: {
    filePath: string;
    onMalformed: MalformedPolicy;
    watch: boolean;
  };
  logging: {
    level: LogLevel;
    accessLog: boolean;
  };
  access: {
    /** API keys required on /keys and /key; undefined when access control is off. */
    apiKeys: string[] | undefined;
    /** Where the API keys come from, to re-read them on reload. */
    apiKeysFile: string | undefined;
    /** Bearer token of POST /admin/reload; undefined when the endpoint is off (unless client roles enable it). */
    adminToken: string | undefined;
    /** Client roles (KV_ACCESS_FILE): the file, re-read on rotation, and its clients as validated at start-up. */
    clientRoles: { path: string; clients: ClientEntry[] } | undefined;
  };
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
  const values = withoutEmptyValues(raw);
  const env = plainToInstance(EnvironmentVariables, values);
  const problems = validateSync(env, { forbidUnknownValues: false }).map(describeError);

  const secretProblems: Error[] = [];
  const collect = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      // SecretError and AccessFileError messages name the variable, never a secret.
      secretProblems.push(error as Error);
      return undefined;
    }
  };
  const apiKeys = collect(() => readSecretList(values, 'KV_API_KEYS', 'KV_API_KEYS_FILE'));
  const adminToken = collect(() => readSecret(values, 'KV_ADMIN_TOKEN', 'KV_ADMIN_TOKEN_FILE'));
  const accessFile = values.KV_ACCESS_FILE;
  if (accessFile !== undefined && (values.KV_API_KEYS !== undefined || values.KV_API_KEYS_FILE !== undefined)) {
    const keys = values.KV_API_KEYS !== undefined ? 'KV_API_KEYS' : 'KV_API_KEYS_FILE';
    problems.push(`KV_ACCESS_FILE and ${keys} are both set: client roles replace the API keys, set only one of them`);
  }
  const clients = accessFile === undefined ? undefined : collect(() => readAccessFile(accessFile));
  problems.push(...secretProblems.map((error) => error.message));

  if (problems.length > 0) {
    const plural = problems.length > 1 ? 's' : '';
    throw new ConfigurationError(
      `Invalid configuration: ${problems.join('; ')}. Fix the environment variable${plural} and start again.`,
    );
  }
  return {
    http: {
      port: env.PORT === undefined ? 8080 : Number(env.PORT),
      host: env.HOST ?? '0.0.0.0',
      cacheMaxAgeSeconds: Number(env.KV_CACHE_MAX_AGE ?? 0),
      shutdownDelayMs: Number(env.KV_SHUTDOWN_DELAY_MS ?? 0),
      extraListeners:
        env.KV_EXTRA_LISTENERS === undefined || env.KV_EXTRA_LISTENERS === 'auto'
          ? 'auto'
          : Number(env.KV_EXTRA_LISTENERS),
    },
    dataset: {
      filePath: env.KV_DATA_FILE_PATH ?? 'data/example.data',
      onMalformed: (env.KV_ON_MALFORMED ?? 'fail') as MalformedPolicy,
      watch: env.KV_WATCH === 'true',
    },
    logging: {
      level: (env.LOG_LEVEL ?? 'info') as LogLevel,
      accessLog: env.KV_ACCESS_LOG === 'true',
    },
    access: {
      apiKeys,
      apiKeysFile: values.KV_API_KEYS_FILE,
      adminToken,
      clientRoles: accessFile === undefined || clients === undefined ? undefined : { path: accessFile, clients },
    },
  };
}

/** Names whose values are choices, compared case-insensitively. */
const CASE_INSENSITIVE = new Set(['KV_ON_MALFORMED', 'KV_WATCH', 'LOG_LEVEL', 'KV_ACCESS_LOG', 'KV_EXTRA_LISTENERS']);

/** An empty variable counts as unset. */
function withoutEmptyValues(raw: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string' || value === '') continue;
    result[name] = CASE_INSENSITIVE.has(name) ? value.toLowerCase() : value;
  }
  return result;
}

function describeError(error: ValidationError): string {
  const accepted = Object.values(error.constraints ?? {}).join(' or ');
  return `${error.property}=${JSON.stringify(error.value)} is not valid: expected ${accepted}`;
}
