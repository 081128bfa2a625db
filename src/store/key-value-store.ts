/**
 * The storage engine's contract. The HTTP layer only sees `KeyValueStore`; the loader
 * only sees `StoreBuilder`. Another engine slots in by implementing both, without
 * touching the parser or the controllers.
 */
export interface KeyValueStore {
  /** Number of distinct keys. */
  readonly size: number;
  get(key: string): string | undefined;
  /** The value's UTF-8 bytes, for raw responses: a copy, which outlives the store. */
  getBytes(key: string): Buffer | undefined;
  /** The look-up's JSON body, `{"<key>":"<value>"}`, ready to send. */
  getJsonEntry(key: string): string | undefined;
  /** Every entry once; the order is the engine's own. */
  entries(): IterableIterator<[key: string, value: string]>;
  /**
   * Up to `limit` keys in ascending order of their UTF-8 bytes that start with
   * `prefix` and are greater than `after` (when given).
   */
  keysInOrder(prefix: string, after: string | undefined, limit: number): string[];
  /**
   * Set while look-ups are answered but the key order is still being built (a compact
   * store's first load): `entries` and `keysInOrder` must wait for it. It rejects if
   * the order never comes.
   */
  readonly keyOrderPending?: Promise<void>;
  /** Frees the store's memory now; it is unusable afterwards. Optional: a heap-only store leaves it to the GC. */
  release?(): void;
}

export interface StoreBuilder {
  /** Adds the entry whose key is `bytes[keyStart, keyEnd)` and value `bytes[keyEnd + 1, valueEnd)`; a later key wins. */
  add(bytes: Buffer, keyStart: number, keyEnd: number, valueEnd: number): void;
  /** Lines whose key an earlier line already had. */
  readonly duplicates: number;
  finish(): KeyValueStore;
}

/** Orders strings as their UTF-8 bytes do (JavaScript's `<` compares UTF-16 code units, which differs above U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
