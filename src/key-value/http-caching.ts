import { hash } from 'node:crypto';

/**
 * HTTP caching for look-ups (RFC 9110 section 8.8.3 and 13.1.2).
 *
 * The entity tag is a hash of the representation's bytes: the same file gives the same
 * tag on every replica, and the JSON and raw representations of one entry differ.
 */
export function entityTag(body: string | Buffer): string {
  // The one-shot `hash` costs half of createHash().update().digest() per call.
  return `"${hash('sha1', body, 'base64url')}"`;
}

/**
 * Whether `If-None-Match` matches `etag` (the weak comparison the header uses): `*`
 * matches any current representation; otherwise any listed tag, with or without `W/`,
 * whose opaque part equals ours.
 */
export function ifNoneMatchMatches(header: string, etag: string): boolean {
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  if (trimmed === etag) return true;
  for (const candidate of trimmed.split(',')) {
    let tag = candidate.trim();
    if (tag.startsWith('W/')) tag = tag.slice(2);
    if (tag === etag) return true;
  }
  return false;
}

/** `Cache-Control` of a successful look-up (200 or 304). */
export function successCacheControl(maxAgeSeconds: number): string {
  return maxAgeSeconds > 0 ? `public, max-age=${maxAgeSeconds}` : 'no-cache';
}

/** Client errors must not be cached: the key may appear after a reload. */
export const ERROR_CACHE_CONTROL = 'no-store';

export const DATASET_VERSION_HEADER = 'kv-dataset-version';
