import type { KeyHash } from './key-hash.js';
import type { RecordCursor } from './record-cursor.js';

/** The table is at most this full, so a miss ends after a few probes on average. */
const MAX_LOAD_FACTOR = 0.75;
/** Entries whose home slots are read ahead together; see `build`. */
const PREFETCH_BATCH = 128;
/** Where the read-ahead loads go, so that they are not optimised away. */
const prefetched = { sink: 0 };
/** Slot ids are stored as id + 1 in at most 31 bits, leaving at least one bit of tag. */
export const MAX_ENTRIES = 2 ** 31 - 1;

/**
 * Point look-up by key: open addressing with linear probing in a Uint32Array whose size
 * is a power of two (4 bytes a slot, 5.3 to 10.7 bytes a key).
 *
 * A slot is 0 when empty, else `(entryId + 1) << tagBits | tag`: the id takes as few
 * bits as the entry count needs and the rest carry the top bits of the key's hash. A
 * probe whose tag differs is skipped without touching the key bytes, so a look-up
 * usually reads one record, not one per probe.
 */
export class HashIndex {
  readonly slotMask: number;
  private readonly tagMask: number;
  private readonly idBits: number;

  constructor(
    readonly slots: Uint32Array,
    readonly tagBits: number,
  ) {
    this.slotMask = slots.length - 1;
    this.idBits = 32 - tagBits;
    this.tagMask = 2 ** tagBits - 1;
  }

  /** Zeroed slots for `entryCount` entries: a power of two, at most 3/4 full. */
  static allocateSlots(entryCount: number): Uint32Array<ArrayBuffer> {
    if (entryCount > MAX_ENTRIES) throw new RangeError(`A compact store holds at most ${MAX_ENTRIES} entries.`);
    let size = 2;
    while (size * MAX_LOAD_FACTOR < entryCount) size *= 2;
    return new Uint32Array(size);
  }

  /**
   * Indexes the entries not flagged in `replaced` (their keys are distinct) into the
   * zeroed `slots`, hashing each key from its record (at least `knownKeyLength` long).
   */
  static build(
    records: RecordCursor,
    replaced: Uint8Array,
    slots: Uint32Array,
    hash: KeyHash,
    knownKeyLength: number,
  ): HashIndex {
    const entryCount = records.entryCount;
    const idBits = Math.max(1, 32 - Math.clz32(entryCount));
    const index = new HashIndex(slots, 32 - idBits);
    const slotMask = index.slotMask;
    const batchIds = new Uint32Array(PREFETCH_BATCH);
    const batchHashes = new Uint32Array(PREFETCH_BATCH);
    for (let id = 0; id < entryCount;) {
      let batchSize = 0;
      for (; id < entryCount && batchSize < PREFETCH_BATCH; id++) {
        if ((replaced[id >>> 3] & (1 << (id & 7))) !== 0) continue;
        records.locateKey(id, knownKeyLength);
        batchIds[batchSize] = id;
        batchHashes[batchSize++] = hash(records.segment, records.keyStart, records.keyStart + records.keyLength);
      }
      // Each insert starts with a cache miss in a table larger than the caches. Reading
      // the batch's home slots first, in a loop with no dependencies between reads,
      // lets the CPU wait for those misses together: about twice as fast for 10M keys.
      for (let i = 0; i < batchSize; i++) prefetched.sink ^= slots[batchHashes[i] & slotMask];
      for (let i = 0; i < batchSize; i++) index.insertDistinct(batchHashes[i], batchIds[i]);
    }
    return index;
  }

  /**
   * Indexes every entry into the zeroed `slots`, in file order, a later entry with the
   * same key taking the earlier one's slot: the duplicates are found here, without the
   * sort. Keys are compared only when a slot's tag matches, which for distinct keys is
   * rare (one probe in 2^tagBits). `kv-server build` indexes this way first, so that it
   * knows every section's size and can write them while the keys are sorted.
   */
  static buildReplacing(
    records: RecordCursor,
    slots: Uint32Array,
    hash: KeyHash,
    knownKeyLength: number,
  ): { index: HashIndex; duplicates: number } {
    const entryCount = records.entryCount;
    const idBits = Math.max(1, 32 - Math.clz32(entryCount));
    const index = new HashIndex(slots, 32 - idBits);
    const { slotMask, tagMask, tagBits } = index;
    const batchHashes = new Uint32Array(PREFETCH_BATCH);
    let duplicates = 0;
    for (let first = 0; first < entryCount; first += PREFETCH_BATCH) {
      const end = Math.min(entryCount, first + PREFETCH_BATCH);
      for (let id = first; id < end; id++) {
        records.locateKey(id, knownKeyLength);
        batchHashes[id - first] = hash(records.segment, records.keyStart, records.keyStart + records.keyLength);
      }
      // The read-ahead of `build`, for the same reason.
      for (let id = first; id < end; id++) prefetched.sink ^= slots[batchHashes[id - first] & slotMask];
      for (let id = first; id < end; id++) {
        const hashValue = batchHashes[id - first];
        const tag = hashValue >>> idBits;
        const value = (((id + 1) << tagBits) | tag) >>> 0;
        for (let slot = hashValue & slotMask; ; slot = (slot + 1) & slotMask) {
          const current = slots[slot];
          if (current === 0) {
            slots[slot] = value;
            break;
          }
          if ((current & tagMask) === tag && sameKey(records, (current >>> tagBits) - 1, id, knownKeyLength)) {
            slots[slot] = value;
            duplicates++;
            break;
          }
        }
      }
    }
    return { index, duplicates };
  }

  /** The id of the entry whose key is `query[0, length)` (located in `records`), or -1. */
  find(records: RecordCursor, query: Uint8Array, length: number, hash: number): number {
    const { slots, slotMask, tagMask, tagBits } = this;
    const tag = hash >>> this.idBits;
    for (let slot = hash & slotMask; ; slot = (slot + 1) & slotMask) {
      const value = slots[slot];
      if (value === 0) return -1;
      if ((value & tagMask) === tag) {
        const id = (value >>> tagBits) - 1;
        if (records.matchKey(id, query, length)) return id;
      }
    }
  }

  /** Adds entry `id`, whose key no other indexed entry has. */
  private insertDistinct(hash: number, id: number): void {
    const { slots, slotMask } = this;
    let slot = hash & slotMask;
    while (slots[slot] !== 0) slot = (slot + 1) & slotMask;
    slots[slot] = (((id + 1) << this.tagBits) | (hash >>> this.idBits)) >>> 0;
  }
}

/** True when entries `a` and `b` have the same key (both at least `knownKeyLength` long). */
function sameKey(records: RecordCursor, a: number, b: number, knownKeyLength: number): boolean {
  records.locateKey(a, knownKeyLength);
  const { segment, keyStart, keyLength } = records;
  records.locateKey(b, knownKeyLength);
  if (records.keyLength !== keyLength) return false;
  return (
    segment.compare(records.segment, records.keyStart, records.keyStart + keyLength, keyStart, keyStart + keyLength) ===
    0
  );
}
