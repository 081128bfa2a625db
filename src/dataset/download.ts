import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { publicUrl, withPublicUrls } from '../common/http-url.js';
import { describeFileError, MKDIR_ERROR_TEXT } from '../store/file-errors.js';

/**
 * HTTP for the remote sources: Node's own fetch (undici), which follows redirects and
 * bounds the connect time (10 s, undici's default). What fetch does not bound is a
 * server that accepts and then sends nothing: a watchdog aborts a request that
 * receives nothing for `stallTimeoutMs`, whether it waits for the head or the body.
 */

/** A source that cannot give a dataset now. The message is meant for an operator and holds no secret. */
export class DatasetSourceError extends Error {
  override readonly name = 'DatasetSourceError';
}

/** What a conditional request sends back: the last answer's `ETag` and `Last-Modified`. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface RequestOptions {
  /** A file whose trimmed content is the `Authorization` header; re-read for every request. */
  authFile: string | undefined;
  stallTimeoutMs: number;
  /** Told about every download, finished or not, for the metrics. */
  onDownload?: (bytes: number, durationMs: number) => void;
}

export interface DownloadedFile {
  path: string;
  sha256: string;
  validators: Validators;
}

/** The largest manifest read: it names one file, so anything bigger is not a manifest. */
export const MANIFEST_MAX_BYTES = 64 * 1024;

/** GETs a small document (the manifest); `unchanged` when the server answers 304. */
export async function fetchSmall(
  url: string,
  options: RequestOptions,
  validators: Validators | undefined,
): Promise<'unchanged' | { text: string; finalUrl: string; validators: Validators }> {
  return withRequest(url, options, validators, async (response, watchdog) => {
    if (response.status === 304) return 'unchanged';
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MANIFEST_MAX_BYTES) throw tooLarge(url);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of bodyOf(response)) {
      watchdog.kick();
      size += chunk.length;
      if (size > MANIFEST_MAX_BYTES) throw tooLarge(url);
      chunks.push(chunk);
    }
    return {
      text: Buffer.concat(chunks).toString('utf8'),
      finalUrl: response.url || url,
      validators: validatorsOf(response),
    };
  });
}

/** The partial files of the downloads being written now. */
const partialDownloads = new Set<string>();

/**
 * Removes the partial files of the downloads in flight, at once: for a process that
 * exits in the middle of one (a signal during start-up, `process.exit`), which would
 * otherwise leave a file as large as the dataset until a later start removes it.
 */
export function removePartialDownloadsNow(): void {
  for (const path of partialDownloads) {
    try {
      rmSync(path, { force: true });
    } catch {
      // Exiting anyway: a later start removes what is left (dataset-source.ts).
    }
  }
  partialDownloads.clear();
}

/**
 * Streams `url` into `dir` while hashing it (never whole in memory), checks the
 * SHA-256 when one is expected, and renames the file to its content-addressed name.
 * A partial or refused file is removed. `unchanged` when the server answers 304, or
 * a 200 whose strong ETag is `sameAs` (the body is then not read).
 */
export async function downloadFile(
  url: string,
  dir: string,
  expectedSha256: string | undefined,
  options: RequestOptions,
  validators?: Validators,
  { sameAs }: { sameAs?: string } = {},
): Promise<'unchanged' | DownloadedFile> {
  const startedAt = performance.now();
  let bytes = 0;
  let downloaded = false;
  const partial = join(dir, `.kv-download-${randomUUID()}.part`);
  partialDownloads.add(partial);
  try {
    return await withRequest(url, options, validators, async (response, watchdog) => {
      if (response.status === 304) return 'unchanged';
      if (sameAs !== undefined && response.headers.get('etag') === sameAs && isStrong(sameAs)) {
        await response.body?.cancel().catch(() => undefined);
        return 'unchanged';
      }
      downloaded = true;
      await mkdir(dir, { recursive: true });
      const hash = createHash('sha256');
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding: string, done: TransformCallback) {
          watchdog.kick();
          bytes += chunk.length;
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(bodyOf(response), hashing, createWriteStream(partial));
      const sha256 = hash.digest('hex');
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
        throw new DatasetSourceError(
          `The download of ${publicUrl(url)} has SHA-256 ${sha256}, not the expected ${expectedSha256}: ` +
            'the file changed while it was read, or the checksum is wrong',
        );
      }
      const path = join(dir, `kv-${sha256}.download`);
      await rename(partial, path);
      return { path, sha256, validators: validatorsOf(response) };
    });
  } catch (error) {
    // KV_DOWNLOAD_DIR may be a file: the removal fails too, and must not hide why.
    await rm(partial, { force: true }).catch(() => undefined);
    if (isFileSystemError(error)) {
      // In words, without the temporary file's name; EEXIST comes only from mkdir -p here.
      const why = describeFileError(error, MKDIR_ERROR_TEXT);
      throw new DatasetSourceError(`Cannot write the download of ${publicUrl(url)} into ${dir}: ${why}`);
    }
    throw error;
  } finally {
    partialDownloads.delete(partial);
    // A 304 or a refused request read no file: the last download's figures stand.
    if (downloaded) options.onDownload?.(bytes, performance.now() - startedAt);
  }
}

/** A weak ETag (`W/"..."`) promises equivalence, not the same bytes. */
function isStrong(etag: string): boolean {
  return !etag.startsWith('W/');
}

/** The answer's body; a 2xx without one (a 204) reads as empty. */
function bodyOf(response: Response): AsyncIterable<Buffer> {
  return response.body === null ? Readable.from([]) : (Readable.fromWeb(response.body) as AsyncIterable<Buffer>);
}

/** Aborts the request when nothing has arrived for `ms`; each arriving piece restarts the count. */
class StallWatchdog {
  readonly controller = new AbortController();
  fired = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {
    this.kick();
  }

  kick(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort();
    }, this.ms);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

async function withRequest<T>(
  url: string,
  options: RequestOptions,
  validators: Validators | undefined,
  read: (response: Response, watchdog: StallWatchdog) => Promise<T>,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (options.authFile !== undefined) headers.authorization = await readAuthorization(options.authFile);
  if (validators?.etag !== undefined) headers['if-none-match'] = validators.etag;
  if (validators?.lastModified !== undefined) headers['if-modified-since'] = validators.lastModified;
  const watchdog = new StallWatchdog(options.stallTimeoutMs);
  try {
    const response = await fetch(url, { headers, redirect: 'follow', signal: watchdog.controller.signal });
    if (response.status !== 304 && (response.status < 200 || response.status > 299)) {
      await response.body?.cancel().catch(() => undefined);
      throw new DatasetSourceError(
        `GET ${publicUrl(url)} answered ${response.status} ${response.statusText}`.trim() + ', not 2xx',
      );
    }
    return await read(response, watchdog);
  } catch (error) {
    if (error instanceof DatasetSourceError) throw error;
    if (watchdog.fired) {
      throw new DatasetSourceError(
        `GET ${publicUrl(url)} received nothing for ${options.stallTimeoutMs / 1000} s and was abandoned`,
      );
    }
    if (isFileSystemError(error)) throw error;
    throw new DatasetSourceError(`GET ${publicUrl(url)} failed: ${networkReason(error)}`);
  } finally {
    watchdog.stop();
  }
}

/** An error of the download's own file (a full disk, a missing directory), not of the network. */
function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

async function readAuthorization(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new DatasetSourceError(`KV_DATA_AUTH_FILE=${JSON.stringify(file)} cannot be read (${code})`);
  }
}

function validatorsOf(response: Response): Validators {
  return {
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
  };
}

function tooLarge(url: string): DatasetSourceError {
  return new DatasetSourceError(
    `The manifest ${publicUrl(url)} is larger than ${MANIFEST_MAX_BYTES / 1024} KiB: a manifest is a small JSON object`,
  );
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'the connection closed',
};

/**
 * fetch rejects with "fetch failed"; the reason is in its `cause`. Other messages may
 * quote the whole URL, query string included: it is shown in its public form.
 */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code !== undefined) return withPublicUrls(`${NETWORK_CODES[code] ?? cause?.message ?? code} (${code})`);
  return withPublicUrls(cause?.message ?? (error instanceof Error ? error.message : String(error)));
}
