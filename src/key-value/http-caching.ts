/**
 * HTTP caching for look-ups (RFC 9110 section 8.8.3 and 13.1.2).
 *
 * The entity tag is a 64-bit hash of the representation: of the JSON body's characters,
 * or of the raw body's bytes. The same file gives the same tag on every replica, the
 * JSON and raw representations of one entry differ (the JSON body is always the
 * longer), and a changed value changes its tag but for a 2^-64 chance.
 *
 * The hash is cyrb53's construction (two 32-bit multiply-xor lanes, mixed at the end)
 * widened to 64 bits. It is computed on every look-up, in JavaScript over a body of a
 * few dozen characters, which costs a fraction of a native SHA-1 call (the call itself,
 * OpenSSL's set-up and the base64 string); a cache validator needs no cryptographic
 * strength: whoever could forge collisions is whoever publishes the file.
 */
export function entityTag(body: string | Uint8Array): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  if (typeof body === 'string') {
    for (let i = 0; i < body.length; i++) {
      const unit = body.charCodeAt(i);
      h1 = Math.imul(h1 ^ unit, 2654435761);
      h2 = Math.imul(h2 ^ unit, 1597334677);
    }
  } else {
    for (let i = 0; i < body.length; i++) {
      const byte = body[i];
      h1 = Math.imul(h1 ^ byte, 2654435761);
      h2 = Math.imul(h2 ^ byte, 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `"${hex32(h2)}${hex32(h1)}"`;
}

/** Two hex digits per byte value: `toString(16)` and `padStart` would cost ten times as much. */
const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function hex32(value: number): string {
  return (
    HEX_BYTES[value >>> 24] +
    HEX_BYTES[(value >>> 16) & 0xff] +
    HEX_BYTES[(value >>> 8) & 0xff] +
    HEX_BYTES[value & 0xff]
  );
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

export const DATASET_VERSION_HEADER = 'kv-dataset-version';
