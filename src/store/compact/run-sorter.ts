import { SPACE, TAB, type RecordCursor } from './record-cursor.js';

/** Runs this short are finished with an insertion sort: cheaper than packing them. */
const INSERTION_SORT_MAX = 16;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  // Sort keys are written as two 32-bit words into a BigUint64Array.
  throw new Error('The compact store needs a little-endian platform.');
}

/** Bits needed for the numbers 0..max. */
export function bitsFor(max: number): number {
  return max <= 0 ? 0 : 32 - Math.clz32(max);
}

/**
 * Sorts runs of entry ids in `output` whose keys are known to agree before some byte
 * `depth`, by packing the next 8 key bytes above each id's index in its run into a
 * 64-bit integer and sorting those natively; ties are refined from the next byte on.
 *
 * Runs keep equal keys in file order (the index breaks ties), so when two keys turn out
 * equal the earlier entry is the one a later line replaced: it is flagged in `replaced`.
 */
export class RunSorter {
  /** One bit per entry id: set when a later entry has the same key. */
  readonly replaced: Uint8Array;
  private readonly packed: BigUint64Array;
  /** The same memory as `packed`: word 2i is the low half of packed[i] on little-endian. */
  private readonly words: Uint32Array;
  /** The ids of the run being written back, by index in the run. */
  private readonly ids: Uint32Array;
  /** Key length found by the last pack, counted up to the end of its 8 bytes at most. */
  private packedKeyLength = 0;

  constructor(
    private readonly records: RecordCursor,
    private readonly output: Uint32Array,
    private readonly commonPrefixLength: number,
    packed: BigUint64Array,
    runCapacity: number,
  ) {
    this.replaced = new Uint8Array(Math.ceil(records.entryCount / 8));
    this.packed = packed;
    this.words = new Uint32Array(packed.buffer, packed.byteOffset, packed.length * 2);
    this.ids = new Uint32Array(runCapacity);
  }

  /**
   * Packs key bytes [depth, depth + 8) of the located entry, zero-padded, above `index`
   * into scratch slot `slot`. The key is known to be at least `knownLength` bytes long.
   */
  packLocated(depth: number, knownLength: number, slot: number, index: number, indexBits: number): void {
    const { segment, keyStart } = this.records;
    const from = keyStart + depth;
    const stop = from + 8;
    let keyEnd = keyStart + knownLength;
    while (keyEnd < stop && segment[keyEnd] !== SPACE && segment[keyEnd] !== TAB) keyEnd++;
    this.packedKeyLength = keyEnd - keyStart;
    let high: number;
    let low: number;
    if (keyEnd === stop) {
      high = (segment[from] << 24) | (segment[from + 1] << 16) | (segment[from + 2] << 8) | segment[from + 3];
      low = (segment[from + 4] << 24) | (segment[from + 5] << 16) | (segment[from + 6] << 8) | segment[from + 7];
    } else {
      high = 0;
      low = 0;
      for (let at = from; at < from + 4; at++) high = (high << 8) | (at < keyEnd ? segment[at] : 0);
      for (let at = from + 4; at < stop; at++) low = (low << 8) | (at < keyEnd ? segment[at] : 0);
    }
    this.words[2 * slot] = (low & ~((1 << indexBits) - 1)) | index;
    this.words[2 * slot + 1] = high;
  }

  /**
   * Sorts `output[from, to)` by the values packed with `indexBits` at scratch slots
   * [from - base, to - base), then refines the ties.
   */
  sortPacked(from: number, to: number, depth: number, base: number, indexBits: number): void {
    const length = to - from;
    if (length < 2) return;
    const { words, output, ids } = this;
    const first = from - base;
    this.packed.subarray(first, first + length).sort();
    const indexMask = (1 << indexBits) - 1;
    for (let i = 0; i < length; i++) ids[i] = output[from + i];
    for (let i = 0; i < length; i++) output[from + i] = ids[words[2 * (first + i)] & indexMask];
    const keyMask = ~indexMask;
    const nextDepth = depth + ((64 - indexBits) >>> 3);
    for (let i = 0; i < length;) {
      const high = words[2 * (first + i) + 1];
      const low = words[2 * (first + i)] & keyMask;
      let end = i + 1;
      while (end < length && words[2 * (first + end) + 1] === high && (words[2 * (first + end)] & keyMask) === low) {
        end++;
      }
      if (end - i > 1) this.sort(from + i, from + end, nextDepth, base);
      i = end;
    }
  }

  /** Sorts `output[from, to)`, whose keys agree before byte `depth`, reusing the scratch slots of that range. */
  private sort(from: number, to: number, depth: number, base: number): void {
    if (to - from <= INSERTION_SORT_MAX) return this.insertionSort(from, to, depth);
    const indexBits = bitsFor(to - from - 1);
    let longestKey = 0;
    for (let i = from; i < to; i++) {
      this.records.locateStart(this.output[i]);
      this.packLocated(depth, this.commonPrefixLength, i - base, i - from, indexBits);
      longestKey = Math.max(longestKey, this.packedKeyLength);
    }
    // Keys that agree up to the end of the longest one differ only in trailing zero
    // bytes ("a" < "a\0"), or not at all: the length decides.
    if (longestKey <= depth) return this.sortByLength(from, to);
    this.sortPacked(from, to, depth, base, indexBits);
  }

  private insertionSort(from: number, to: number, depth: number): void {
    const output = this.output;
    for (let i = from + 1; i < to; i++) {
      const id = output[i];
      let j = i - 1;
      let order = 1;
      while (j >= from && (order = this.compareFrom(output[j], id, depth)) > 0) {
        output[j + 1] = output[j];
        j--;
      }
      output[j + 1] = id;
      if (j >= from && order === 0) this.markReplaced(output[j]);
    }
  }

  private sortByLength(from: number, to: number): void {
    const { records, output } = this;
    // Array.prototype.sort is stable: equal keys stay in file order.
    const byLength = Array.from(output.subarray(from, to), (id) => {
      records.locateKey(id, this.commonPrefixLength);
      return { id, length: records.keyLength };
    }).sort((a, b) => a.length - b.length);
    byLength.forEach(({ id, length }, i) => {
      output[from + i] = id;
      if (i + 1 < byLength.length && byLength[i + 1].length === length) this.markReplaced(id);
    });
  }

  private markReplaced(id: number): void {
    this.replaced[id >>> 3] |= 1 << (id & 7);
  }

  /** Sign of key(a) - key(b), comparing from byte `depth` on. */
  private compareFrom(a: number, b: number, depth: number): number {
    const records = this.records;
    records.locateKey(a, this.commonPrefixLength);
    const segmentA = records.segment;
    const startA = records.keyStart;
    const lengthA = records.keyLength;
    records.locateKey(b, this.commonPrefixLength);
    const { segment, keyStart, keyLength } = records;
    const common = Math.min(lengthA, keyLength);
    for (let i = depth; i < common; i++) {
      const difference = segmentA[startA + i] - segment[keyStart + i];
      if (difference !== 0) return difference;
    }
    return lengthA - keyLength;
  }
}
