import { plainToInstance } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, Matches, validateSync } from 'class-validator';
import { httpUrlProblem, publicUrl, urlTextWithoutSecrets } from '../common/http-url.js';
import { DatasetSourceError } from './download.js';

/**
 * The manifest of contract section 6: `{"url": "v42.kvs", "sha256": "<hex>",
 * "version": "<optional label>"}`, which a publisher rewrites last. Validated with
 * class-validator, as the environment is; each rule's message is the accepted form.
 */
const URL_FORM = 'a non-empty string: the data file, absolute or relative to the manifest';

class ManifestDocument {
  @IsString({ message: URL_FORM })
  @IsNotEmpty({ message: URL_FORM })
  url!: string;

  @Matches(/^[0-9a-fA-F]{64}$/, { message: "the data file's SHA-256: 64 hexadecimal digits" })
  sha256!: string;

  @IsOptional()
  @IsString({ message: 'a string (a label for the logs)' })
  version?: string;
}

export interface Manifest {
  /** Absolute: a relative `url` resolved against the manifest's own (final) URL. */
  url: string;
  sha256: string;
  version: string | undefined;
}

export function parseManifest(text: string, manifestUrl: string): Manifest {
  const where = `The manifest ${publicUrl(manifestUrl)}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DatasetSourceError(`${where} is not JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DatasetSourceError(`${where} is not a JSON object: expected {"url": ..., "sha256": ...}`);
  }
  const document = plainToInstance(ManifestDocument, raw);
  const problems = validateSync(document).map((error) => {
    const value = (raw as Record<string, unknown>)[error.property];
    // A url is quoted without its query string: it may carry a signature.
    const shown = error.property === 'url' && typeof value === 'string' ? urlTextWithoutSecrets(value) : value;
    const found = value === undefined ? 'is missing' : `is ${JSON.stringify(shown)}`;
    const expected = [...new Set(Object.values(error.constraints ?? {}))].join(' and ');
    return `"${error.property}" ${found}, expected ${expected}`;
  });
  if (problems.length > 0) throw new DatasetSourceError(`${where} is not valid: ${problems.join('; ')}`);
  const problem = httpUrlProblem(document.url, manifestUrl);
  if (problem !== undefined) {
    throw new DatasetSourceError(
      `${where} is not valid: "url" ${JSON.stringify(urlTextWithoutSecrets(document.url))} cannot be downloaded: ${problem}`,
    );
  }
  const url = new URL(document.url, manifestUrl);
  return { url: url.href, sha256: document.sha256.toLowerCase(), version: document.version };
}
