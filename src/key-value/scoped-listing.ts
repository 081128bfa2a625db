import type { KeyValueStore } from '../store/index.js';

/**
 * Up to `limit` keys greater than `after` that start with one of `prefixes`, in
 * ascending UTF-8 byte order, each once. `prefixes` must be in UTF-8 byte order with
 * none a prefix of another (as `ClientRole.listingPrefixes` gives them): then the keys
 * under each form a contiguous run of the key order, the runs do not overlap, and
 * concatenating them prefix by prefix is already the merged order. `after` (the last
 * key of the previous page, which may lie under any prefix or none) only moves the
 * start of each run, so cursors work as for one prefix.
 */
export function keysUnderPrefixes(
  store: Pick<KeyValueStore, 'keysInOrder'>,
  prefixes: readonly string[],
  after: string | undefined,
  limit: number,
): string[] {
  const keys: string[] = [];
  for (const prefix of prefixes) {
    if (keys.length >= limit) break;
    keys.push(...store.keysInOrder(prefix, after, limit - keys.length));
  }
  return keys;
}
