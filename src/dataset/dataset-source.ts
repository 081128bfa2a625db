import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../config/environment.js';
import { DatasetSourceError, downloadFile, fetchSmall, type RequestOptions, type Validators } from './download.js';
import { parseManifest } from './manifest.js';
import { publicUrl } from '../common/http-url.js';

/** A local file that holds the newest version of the dataset, ready for the engine. */
export interface SourceFile {
  path: string;
  /** What `GET /dataset` shows as `source`: a path, or a URL without its query string. */
  source: string;
  /** The manifest's `version` label, for the logs. */
  label?: string;
}

/**
 * Where the dataset comes from. A reload asks `check()` for a local file and loads it
 * as any data file; then tells the source with `settle()` whether that file serves
 * now, so the source can forget (and delete) the version before it, or the refused one.
 */
export interface DatasetSource {
  /** True for the downloaded sources, whose checks count as polls. */
  readonly remote: boolean;
  /** The newest version as a local file, or `unchanged` when the serving one is still the newest. */
  check(): Promise<SourceFile | 'unchanged'>;
  settle(file: SourceFile, serving: boolean): Promise<void>;
}

export function createDatasetSource(
  dataset: AppConfig['dataset'],
  remote: AppConfig['remote'],
  onDownload: (bytes: number, durationMs: number) => void,
): DatasetSource {
  const { source, authFile, downloadDir, stallTimeoutMs } = remote;
  if (source === undefined) return new LocalFileSource(dataset.filePath);
  const options = { authFile, stallTimeoutMs, onDownload };
  return source.kind === 'url'
    ? new RemoteSource(downloadDir, options, { url: source.url, sha256: source.sha256 })
    : new RemoteSource(downloadDir, options, { manifestUrl: source.url });
}

/** `KV_DATA_FILE_PATH`: the file itself, read again on every reload. */
class LocalFileSource implements DatasetSource {
  readonly remote = false;

  constructor(private readonly path: string) {}

  check(): Promise<SourceFile> {
    return Promise.resolve({ path: this.path, source: this.path });
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }
}

interface Fetched {
  file: SourceFile;
  sha256: string;
  /** Of what the poll asks about: the data file (KV_DATA_URL) or the manifest. */
  validators: Validators;
}

type Target = { url: string; sha256: string | undefined } | { manifestUrl: string };

/**
 * `KV_DATA_URL` or `KV_MANIFEST_URL`. Each check is a conditional request for the URL
 * or the manifest; a changed one is downloaded. The validators of the serving version
 * are kept only once it serves, so a version that failed to download or load is tried
 * again by the next check, not answered 304. The download directory holds the serving
 * file and at most one more, the one being checked.
 */
class RemoteSource implements DatasetSource {
  readonly remote = true;
  private serving: Fetched | undefined;
  private pending: Fetched | undefined;
  private leftoversRemoved = false;

  constructor(
    private readonly dir: string,
    private readonly options: RequestOptions,
    private readonly target: Target,
  ) {}

  async check(): Promise<SourceFile | 'unchanged'> {
    if (!this.leftoversRemoved) {
      this.leftoversRemoved = true;
      await removeLeftovers(this.dir, Date.now());
    }
    const fetched =
      'manifestUrl' in this.target
        ? await this.checkManifest(this.target.manifestUrl)
        : await this.checkUrl(this.target);
    if (fetched === 'unchanged') return 'unchanged';
    this.pending = fetched;
    return fetched.file;
  }

  async settle(file: SourceFile, serving: boolean): Promise<void> {
    const settled = this.pending;
    this.pending = undefined;
    if (settled === undefined || settled.file !== file) return;
    if (!serving) {
      if (settled.file.path !== this.serving?.file.path) await rm(settled.file.path, { force: true });
      return;
    }
    const previous = this.serving;
    this.serving = settled;
    // The engine holds its data in memory and has closed the file: the old one can go.
    if (previous !== undefined && previous.file.path !== settled.file.path)
      await rm(previous.file.path, { force: true });
  }

  private async checkUrl({ url, sha256 }: { url: string; sha256: string | undefined }): Promise<Fetched | 'unchanged'> {
    const downloaded = await downloadFile(url, this.dir, sha256, this.options, this.serving?.validators, {
      // A server that ignores conditional requests but sends the same ETag: the same file.
      sameAs: this.serving?.validators.etag,
    });
    if (downloaded === 'unchanged') return 'unchanged';
    if (downloaded.sha256 === this.serving?.sha256) {
      // A new ETag on the same bytes: the content-addressed name is the serving file's own.
      this.serving.validators = downloaded.validators;
      return 'unchanged';
    }
    return { file: { path: downloaded.path, source: publicUrl(url) }, ...downloaded };
  }

  private async checkManifest(manifestUrl: string): Promise<Fetched | 'unchanged'> {
    const answer = await fetchSmall(manifestUrl, this.options, this.serving?.validators);
    if (answer === 'unchanged') return 'unchanged';
    const manifest = parseManifest(answer.text, answer.finalUrl);
    if (manifest.sha256 === this.serving?.sha256) {
      this.serving.validators = answer.validators;
      return 'unchanged';
    }
    const downloaded = await downloadFile(manifest.url, this.dir, manifest.sha256, this.options);
    if (downloaded === 'unchanged') {
      throw new DatasetSourceError(`GET ${publicUrl(manifest.url)} answered 304 to a request that was not conditional`);
    }
    return {
      file: { path: downloaded.path, source: publicUrl(manifest.url), label: manifest.version },
      sha256: downloaded.sha256,
      validators: answer.validators,
    };
  }
}

/** A partial download is written to at least every stall timeout (30 s), or abandoned and removed. */
const PARTIAL_UNTOUCHED_MS = 2 * 60_000;
/** A finished one is loaded within seconds of its last write; this is far longer. */
const DOWNLOAD_UNTOUCHED_MS = 15 * 60_000;

/**
 * What an earlier run left in the download directory (an emptyDir survives a container
 * restart): partial downloads of a process that stopped mid-way, and the file an earlier
 * run served. Only files untouched for a while, since another process may share the
 * directory (the OS temp dir, by default) and be writing or loading one of its own.
 */
async function removeLeftovers(dir: string, now: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const partial = /^\.kv-download-[0-9a-f-]+\.part$/.test(name);
    if (!partial && !/^kv-[0-9a-f]{64}\.download$/.test(name)) continue;
    const path = join(dir, name);
    const modified = await stat(path).then(
      (s) => s.mtimeMs,
      () => now,
    );
    if (now - modified > (partial ? PARTIAL_UNTOUCHED_MS : DOWNLOAD_UNTOUCHED_MS)) {
      await rm(path, { force: true }).catch(() => undefined);
    }
  }
}
