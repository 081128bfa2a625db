import type { KeyValueStore } from '../key-value-store.js';
import { HashIndex } from './hash-index.js';
import { collectGarbage } from './collect-garbage.js';
import { stringNeedsJsonEscape } from './json-escape.js';
import { fnv1aHash, type KeyHash } from './key-hash.js';
import { RecordCursor, SPACE, TAB } from './record-cursor.js';

/** Everything a CompactStore consists of: typed arrays and Buffers only, so a worker can transfer them. */
export interface CompactStoreParts {
  /** Record storage (layout in record-cursor.ts); each segment owns its ArrayBuffer. */
  segments: Uint8Array[];
  segmentFirstEntry: Uint32Array;
  recordOffsets: Uint32Array;
  hashSlots: Uint32Array;
  tagBits: number;
  /** Ids of the live entries in ascending key-byte order. */
  order: Uint32Array;
  /**
   * Whether bit 31 of each record offset says if its value needs escaping in JSON: true
   * only for a format 1 snapshot, whose builder flagged them. Nothing sets them any more:
   * flagging took a scan of every value byte (about a fifth of a 10M-line load), and
   * `getJsonEntry` tests the value it has just decoded instead (json-escape.ts).
   */
  escapeFlags: boolean;
}

/** Every part of a store but the key order, and how many keys it has: what a first load hands over before its sort. */
export type HashedParts = Omit<CompactStoreParts, 'order'> & { keys: number };

/** String.prototype.isWellFormed (Node 20+) is missing from the ES2023 typings. */
type MaybeWellFormed = string & { isWellFormed(): boolean };

/**
 * A read-only store whose data lives outside the JavaScript heap: records in a few
 * large Buffers, indexes in typed arrays. Besides the data it costs 4 bytes per entry
 * (record offset), 4 per key (order index) and 5.3 to 10.7 per key (hash slots), and
 * gives the garbage collector a handful of objects to look at instead of millions.
 * Built by CompactStoreBuilder, or rebuilt from parts a worker transferred.
 */
export class CompactStore implements KeyValueStore {
  private records: RecordCursor;
  private index: HashIndex;
  private order: Uint32Array;
  private keyCount: number;
  /** Until the key order arrives (see awaitingKeyOrder); it stays a rejected promise if it never does. */
  private pendingKeyOrder: Promise<void> | undefined;
  private cancelKeyOrder: (() => void) | undefined;
  private released = false;
  private readonly hash: KeyHash;
  private readonly escapeFlags: boolean;
  /** The UTF-8 bytes of the key being looked up; reused so look-ups do not allocate. */
  private query = Buffer.alloc(256);

  constructor(parts: CompactStoreParts, options: { hash?: KeyHash } = {}) {
    const segments = parts.segments.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength));
    this.records = new RecordCursor(segments, parts.segmentFirstEntry, parts.recordOffsets);
    this.index = new HashIndex(parts.hashSlots, parts.tagBits);
    this.order = parts.order;
    this.keyCount = parts.order.length;
    this.escapeFlags = parts.escapeFlags;
    this.hash = options.hash ?? fnv1aHash;
  }

  /**
   * A store that answers look-ups at once and listings once `keyOrder` resolves: a first
   * load's, whose worker is still sorting the keys. `cancel` stops that work; `release`
   * calls it. Until then `entries` and `keysInOrder` throw: await `keyOrderPending` first.
   */
  static awaitingKeyOrder(parts: HashedParts, keyOrder: Promise<Uint32Array>, cancel: () => void): CompactStore {
    const store = new CompactStore({ ...parts, order: new Uint32Array(0) });
    // Not `parts` in the closure: it would keep the records reachable after `release`.
    const keys = parts.keys;
    store.keyCount = keys;
    store.cancelKeyOrder = cancel;
    store.pendingKeyOrder = keyOrder.then((order) => {
      if (store.released) throw new Error('The store was released before its key order arrived');
      if (order.length !== keys) throw new Error(`The key order has ${order.length} keys, not ${keys}`);
      store.order = order;
      store.pendingKeyOrder = undefined;
      store.cancelKeyOrder = undefined;
    });
    // Whoever lists awaits it and handles a failure; nobody else need.
    store.pendingKeyOrder.catch(() => undefined);
    return store;
  }

  /**
   * Undefined when listings can be answered now. Otherwise a promise that resolves when
   * they can, or rejects if the key order never comes (its worker failed or was stopped).
   */
  get keyOrderPending(): Promise<void> | undefined {
    return this.pendingKeyOrder;
  }

  /**
   * The parts and the ArrayBuffers to list in `postMessage`'s transfer list. After the
   * transfer this store is unusable. (A store built with a custom hash needs the same
   * hash again when rebuilt.)
   */
  toParts(): { parts: CompactStoreParts; transferList: ArrayBuffer[] } {
    const { segments, segmentFirstEntry, recordOffsets } = this.records;
    const parts: CompactStoreParts = {
      segments: [...segments],
      segmentFirstEntry,
      recordOffsets,
      hashSlots: this.index.slots,
      tagBits: this.index.tagBits,
      order: this.order,
      escapeFlags: this.escapeFlags,
    };
    const views = [...parts.segments, segmentFirstEntry, recordOffsets, parts.hashSlots, parts.order];
    const buffers = new Set(views.map((view) => view.buffer as ArrayBuffer));
    return { parts, transferList: [...buffers] };
  }

  /**
   * Gives this store's memory back to the operating system now, instead of whenever a
   * major garbage collection happens to find it: its data is off the JavaScript heap,
   * where V8 feels little pressure to collect it, so a replaced dataset could stay
   * resident for minutes. Each ArrayBuffer is detached (`transfer(0)`), which frees its
   * backing store at once; shared memory (a first load's records) is dropped and a
   * collection run. The store is unusable afterwards; call it only when nothing can
   * read it any more (nothing it returned shares its memory: see `getBytes`).
   */
  release(): void {
    this.released = true;
    this.cancelKeyOrder?.();
    this.cancelKeyOrder = undefined;
    if (!this.detachBuffers()) return;
    // A first load's records (awaitingKeyOrder) cannot be detached: they go when no
    // thread references them and a collection runs. This store drops its references,
    // and a collection runs now, or the next reload would build its dataset beside two.
    this.records = new RecordCursor([], new Uint32Array(0), new Uint32Array(0));
    this.index = new HashIndex(new Uint32Array(2), 31);
    this.order = new Uint32Array(0);
    collectGarbage();
  }

  /** Detaches every ArrayBuffer; true when shared memory is left. (Its own function: its locals must be gone before a collection.) */
  private detachBuffers(): boolean {
    let shared = false;
    for (const buffer of this.toParts().transferList as (ArrayBuffer | SharedArrayBuffer)[]) {
      // Not `instanceof`: memory a worker posted may come from another realm's constructor (under Jest).
      if (Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]') shared = true;
      else (buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }).transfer?.(0);
    }
    return shared;
  }

  get size(): number {
    return this.keyCount;
  }

  get(key: string): string | undefined {
    const id = this.find(key);
    return id < 0 ? undefined : this.records.locatedValue();
  }

  getBytes(key: string): Buffer | undefined {
    const id = this.find(key);
    if (id < 0) return undefined;
    const { segment, valueStart, valueLength } = this.records;
    // A copy (from Node's pool for small values): a response still being written must
    // not point into a store that `release` may free once a reload replaced it.
    return Buffer.from(segment.subarray(valueStart, valueStart + valueLength));
  }

  getJsonEntry(key: string): string | undefined {
    const id = this.find(key);
    if (id < 0) return undefined;
    const records = this.records;
    const value = records.locatedValue();
    // Most values are their own JSON string body; the value is tested here (a few ns for a
    // short one), or a format 1 snapshot's flag says.
    // A string, not a Buffer: Node then writes the head and the body in one piece.
    const needsEscape = this.escapeFlags ? records.valueNeedsJsonEscape(id) : stringNeedsJsonEscape(value);
    return needsEscape ? `{${JSON.stringify(key)}:${JSON.stringify(value)}}` : `{${JSON.stringify(key)}:"${value}"}`;
  }

  *entries(): IterableIterator<[string, string]> {
    this.assertKeyOrder();
    const records = this.records;
    for (const id of this.order) {
      const key = records.key(id);
      yield [key, records.locatedValue()];
    }
  }

  keysInOrder(prefix: string, after: string | undefined, limit: number): string[] {
    this.assertKeyOrder();
    const prefixBytes = Buffer.from(prefix, 'utf8');
    const afterBytes = after === undefined ? undefined : Buffer.from(after, 'utf8');
    // Start at the prefix itself (inclusive), or after `after` when that comes later.
    const exclusive = afterBytes !== undefined && Buffer.compare(afterBytes, prefixBytes) >= 0;
    const start = exclusive ? afterBytes : prefixBytes;
    const { order, records } = this;
    let low = 0;
    let high = order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const comparison = records.compareKey(order[middle], start);
      if (comparison < 0 || (comparison === 0 && exclusive)) low = middle + 1;
      else high = middle;
    }
    const keys: string[] = [];
    for (let i = low; i < order.length && keys.length < limit; i++) {
      if (!records.keyStartsWith(order[i], prefixBytes)) break;
      keys.push(records.key(order[i]));
    }
    return keys;
  }

  private assertKeyOrder(): void {
    if (this.pendingKeyOrder !== undefined) throw new Error('The key order is not here yet: await keyOrderPending');
  }

  /** The entry id of `key`, with the cursor left on its record; -1 when absent. */
  private find(key: string): number {
    const length = this.encodeQuery(key);
    if (length < 0) return -1;
    return this.index.find(this.records, this.query, length, this.hash(this.query, 0, length) >>> 0);
  }

  /**
   * Writes `key`'s UTF-8 bytes into `query` and returns their count, or -1 when no
   * record can have that key. ASCII is copied in a loop, which beats a native
   * Buffer.write call for keys this short.
   */
  private encodeQuery(key: string): number {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    if (key.length * 3 > this.query.length) this.query = Buffer.alloc(key.length * 3);
    const query = this.query;
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      if (code >= 0x80) return this.encodeNonAsciiQuery(key);
      // Records are delimited by the separator: a key holding one could match a record's key and part of its value.
      if (code === SPACE || code === TAB) return -1;
      query[i] = code;
    }
    return key.length;
  }

  private encodeNonAsciiQuery(key: string): number {
    // Keys from a file are valid UTF-8, so a string with a lone surrogate (which the
    // encoder would turn into U+FFFD) cannot be one of them.
    if (!(key as MaybeWellFormed).isWellFormed()) return -1;
    const query = this.query;
    const length = query.write(key, 0, 'utf8');
    for (let i = 0; i < length; i++) {
      if (query[i] === SPACE || query[i] === TAB) return -1;
    }
    return length;
  }
}
