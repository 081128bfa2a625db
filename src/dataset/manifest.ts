import { plainToInstance } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, Matches, validateSync } from 'class-validator';
import { DatasetSourceError, publicUrl } from './download.js';

/**
 * The manifest of contract section 6: `{"url": "v42.kvs", "sha256": "<hex>",
 * "version": "<optional label>"}`, which a publisher rewrites last. Validated with
 * class-validator, as the environment is; each rule's message is the accepted form.
 */
class ManifestDocument {
  @IsString({ message: 'a string: the data file, absolute or relative to the manifest' })
  @IsNotEmpty({ message: 'a non-empty string' })
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
    const found = value === undefined ? 'is missing' : `is ${JSON.stringify(value)}`;
    return `"${error.property}" ${found}, expected ${Object.values(error.constraints ?? {}).join(' and ')}`;
  });
  if (problems.length > 0) throw new DatasetSourceError(`${where} is not valid: ${problems.join('; ')}`);
  let url: URL;
  try {
    url = new URL(document.url, manifestUrl);
  } catch {
    throw new DatasetSourceError(`${where} is not valid: "url" ${JSON.stringify(document.url)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DatasetSourceError(`${where} is not valid: "url" must be http or https, not ${url.protocol}`);
  }
  return { url: url.href, sha256: document.sha256.toLowerCase(), version: document.version };
}
