/** Hashes `bytes[start, end)` to an unsigned 32-bit integer. Tests inject weak ones to force collisions. */
export type KeyHash = (bytes: Uint8Array, start: number, end: number) => number;

/**
 * FNV-1a over the key's UTF-8 bytes, then murmur3's finaliser: FNV-1a alone leaves the
 * low bits (the ones that pick a slot) poorly mixed for keys that differ in their last
 * byte only, such as `user:1`, `user:2`.
 */
export const fnv1aHash: KeyHash = (bytes, start, end) => {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    hash = Math.imul(hash ^ bytes[i], 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
};
