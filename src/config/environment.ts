import { IsIn, IsOptional, Matches, ValidateBy, validateSync, type ValidationError } from 'class-validator';
import { DEFAULT_DATA_FILE_PATH, DEFAULT_ON_MALFORMED } from './data-file-defaults.js';
import { plainToInstance } from 'class-transformer';
import { tmpdir } from 'node:os';
import { readAccessFile, type ClientEntry } from '../access/access-file.js';
import { HTTP_URL_FORM, httpUrlProblem, urlTextWithoutSecrets } from '../common/http-url.js';
import type { MalformedPolicy } from '../store/index.js';
import { readSecretList, readSecret } from './secrets.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PORT_PATTERN = /^(0|[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/;
const BOOLEAN = ['true', 'false'];
const BOOLEAN_FORM = '"true" or "false" (any case)';
/** A download or poll that receives nothing for this long is abandoned (contract section 6). */
const STALL_TIMEOUT_MS = 30_000;

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
  @IsHttpUrl()
  KV_DATA_URL?: string;

  @IsOptional()
  @IsHttpUrl()
  KV_MANIFEST_URL?: string;

  @IsOptional()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'a SHA-256 digest: 64 hexadecimal digits' })
  KV_DATA_SHA256?: string;

  @IsOptional()
  KV_DATA_AUTH_FILE?: string;

  @IsOptional()
  @Matches(/^(0|[1-9]\d{0,5})$/, { message: 'a whole number of seconds from 0 to 999999 (0: never)' })
  KV_POLL_INTERVAL?: string;

  @IsOptional()
  KV_DOWNLOAD_DIR?: string;

  /** For tests only: how long a download or poll may receive nothing (30 s otherwise). */
  @IsOptional()
  @Matches(/^[1-9]\d{0,6}$/, { message: 'a whole number of milliseconds from 1 to 9999999' })
  KV_TEST_STALL_TIMEOUT_MS?: string;

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
  /** Where the dataset comes from when it is downloaded (see dataset/dataset-source.ts). */
  remote: {
    /** KV_DATA_URL or KV_MANIFEST_URL; undefined when the dataset is the local file. */
    source: { kind: 'url'; url: string; sha256: string | undefined } | { kind: 'manifest'; url: string } | undefined;
    /** A file whose trimmed content is the Authorization header of every request; re-read each time. */
    authFile: string | undefined;
    /** Seconds between checks of the source; 0: never. */
    pollIntervalSeconds: number;
    downloadDir: string;
    stallTimeoutMs: number;
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
  problems.push(...sourceConflicts(values));

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
      filePath: env.KV_DATA_FILE_PATH ?? DEFAULT_DATA_FILE_PATH,
      onMalformed: (env.KV_ON_MALFORMED ?? DEFAULT_ON_MALFORMED) as MalformedPolicy,
      watch: env.KV_WATCH === 'true',
    },
    remote: {
      source: remoteSource(env),
      authFile: env.KV_DATA_AUTH_FILE,
      pollIntervalSeconds: Number(env.KV_POLL_INTERVAL ?? 0),
      downloadDir: env.KV_DOWNLOAD_DIR ?? tmpdir(),
      stallTimeoutMs: Number(env.KV_TEST_STALL_TIMEOUT_MS ?? STALL_TIMEOUT_MS),
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

function remoteSource(env: EnvironmentVariables): AppConfig['remote']['source'] {
  if (env.KV_DATA_URL !== undefined)
    return { kind: 'url', url: env.KV_DATA_URL, sha256: env.KV_DATA_SHA256?.toLowerCase() };
  if (env.KV_MANIFEST_URL !== undefined) return { kind: 'manifest', url: env.KV_MANIFEST_URL };
  return undefined;
}

/** The combinations of section 6 that cannot work together, each one sentence. */
function sourceConflicts(values: Record<string, string>): string[] {
  const problems: string[] = [];
  const sources = ['KV_DATA_FILE_PATH', 'KV_DATA_URL', 'KV_MANIFEST_URL'].filter((name) => values[name] !== undefined);
  const remote = values.KV_DATA_URL !== undefined || values.KV_MANIFEST_URL !== undefined;
  if (sources.length > 1) {
    problems.push(`${sources.join(' and ')} each name the source of the dataset: set only one of them`);
  }
  if (values.KV_DATA_SHA256 !== undefined && values.KV_DATA_URL === undefined) {
    problems.push(
      values.KV_MANIFEST_URL === undefined
        ? 'KV_DATA_SHA256 is set without KV_DATA_URL: it is the checksum of that download'
        : "KV_DATA_SHA256 is set with KV_MANIFEST_URL: the manifest's own sha256 is used, unset KV_DATA_SHA256",
    );
  }
  if (!remote) {
    for (const name of ['KV_POLL_INTERVAL', 'KV_DATA_AUTH_FILE']) {
      if (values[name] !== undefined && values[name] !== '0') {
        problems.push(`${name} is set without KV_DATA_URL or KV_MANIFEST_URL: it applies to downloads only`);
      }
    }
  }
  if (remote && values.KV_WATCH === 'true') {
    problems.push('KV_WATCH=true watches a local file: with a URL or a manifest, set KV_POLL_INTERVAL instead');
  }
  return problems;
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
  // A URL is echoed without its query string or user info: they may hold a secret.
  const value = URL_VARIABLES.has(error.property) ? urlTextWithoutSecrets(String(error.value)) : error.value;
  return `${error.property}=${JSON.stringify(value)} is not valid: expected ${accepted}`;
}

const URL_VARIABLES = new Set(['KV_DATA_URL', 'KV_MANIFEST_URL']);

/** What `new URL` accepts, http or https, without credentials (see httpUrlProblem). */
function IsHttpUrl() {
  return ValidateBy({
    name: 'isHttpUrl',
    validator: {
      validate: (value) =>
        typeof value === 'string' && /^https?:\/\/\S+$/i.test(value) && httpUrlProblem(value) === undefined,
      defaultMessage: () => HTTP_URL_FORM,
    },
  });
}
