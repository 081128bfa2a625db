/**
 * The storage engine's contract. The HTTP layer only sees `KeyValueStore`; the loader
 * only sees `StoreBuilder`. A different engine (a compact, off-heap one, say) slots in
 * by implementing both, without touching the parser or the controllers.
 */
export interface KeyValueStore {
  /** Number of distinct keys. */
  readonly size: number;
  get(key: string): string | undefined;
  /** Every entry once; the order is the engine's own. */
  entries(): IterableIterator<[key: string, value: string]>;
}

export interface StoreBuilder {
  /** Adds the entry whose key is `bytes[keyStart, keyEnd)` and value `bytes[keyEnd + 1, valueEnd)`; a later key wins. */
  add(bytes: Buffer, keyStart: number, keyEnd: number, valueEnd: number): void;
  /** Lines whose key an earlier line already had. */
  readonly duplicates: number;
  finish(): KeyValueStore;
}
