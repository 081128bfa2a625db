/**
 * How entries sit in memory, and the one place that reads them back.
 *
 * Records are the data file's own lines: `key SEP value LF`, SEP a space or tab, in
 * segments (Buffers outside the JavaScript heap); a record never spans two segments.
 * Keys hold no space, tab or LF and values no LF, so the separator and the LF delimit
 * them without length fields, and the builder can copy a whole read chunk with one
 * native call instead of each line in a JavaScript loop (about 3x faster to load).
 * A CRLF ending is rewritten to LF, so the value always ends at the first LF.
 *
 * Entries are numbered in file order (the entry id). `recordOffsets[id]` holds where
 * the record starts in its segment (bits 0-30) and whether its value needs JSON
 * escaping (bit 31); the segment is the last one whose first entry id is <= id. That
 * keeps the per-entry cost at 4 bytes while the total can pass 4 GiB.
 */

export const SPACE = 0x20;
export const TAB = 0x09;
export const LF = 0x0a;
/** Offsets use 31 bits; the top bit is the JSON-escape flag of a format 1 snapshot (CompactStoreParts.escapeFlags). */
export const MAX_SEGMENT_SIZE = 2 ** 31;
export const NEEDS_ESCAPE_BIT = 0x80000000;
/** Values up to this long are scanned in JavaScript; longer ones with a native indexOf. */
const NATIVE_SCAN_THRESHOLD = 64;

/**
 * Reads records by entry id. The locate methods fill the public fields instead of
 * returning objects, so look-ups and sorting allocate nothing per entry.
 */
export class RecordCursor {
  segment: Buffer = Buffer.alloc(0);
  keyStart = 0;
  keyLength = 0;
  valueStart = 0;
  valueLength = 0;

  constructor(
    readonly segments: readonly Buffer[],
    /** The id of the first entry of each segment, ascending. */
    readonly segmentFirstEntry: Uint32Array,
    readonly recordOffsets: Uint32Array,
  ) {}

  get entryCount(): number {
    return this.recordOffsets.length;
  }

  /** Sets `segment` and `keyStart` only. */
  locateStart(id: number): void {
    this.segment = this.segments[this.segmentOf(id)];
    this.keyStart = this.recordOffsets[id] & ~NEEDS_ESCAPE_BIT;
  }

  /** Sets `segment`, `keyStart` and `keyLength`; the key is known to be at least `knownLength` bytes long. */
  locateKey(id: number, knownLength = 0): void {
    this.locateStart(id);
    const { segment, keyStart } = this;
    let end = keyStart + knownLength;
    while (segment[end] !== SPACE && segment[end] !== TAB) end++;
    this.keyLength = end - keyStart;
  }

  /** After a locate that set `keyLength`: sets `valueStart` and `valueLength`. */
  locateValue(): void {
    const segment = this.segment;
    const start = this.keyStart + this.keyLength + 1;
    let end = start;
    const scanEnd = Math.min(start + NATIVE_SCAN_THRESHOLD, segment.length);
    while (end < scanEnd && segment[end] !== LF) end++;
    if (end === scanEnd && segment[end] !== LF) end = segment.indexOf(LF, end);
    this.valueStart = start;
    this.valueLength = end - start;
  }

  valueNeedsJsonEscape(id: number): boolean {
    return this.recordOffsets[id] >= NEEDS_ESCAPE_BIT;
  }

  key(id: number): string {
    this.locateKey(id);
    return this.segment.toString('utf8', this.keyStart, this.keyStart + this.keyLength);
  }

  /** The value of the entry whose key is located. */
  locatedValue(): string {
    this.locateValue();
    return this.segment.toString('utf8', this.valueStart, this.valueStart + this.valueLength);
  }

  /**
   * True when entry `id`'s key is `query[0, length)`, which must hold no space or tab.
   * On success the key and value are located.
   */
  matchKey(id: number, query: Uint8Array, length: number): boolean {
    this.locateStart(id);
    const { segment, keyStart } = this;
    for (let i = 0; i < length; i++) {
      if (segment[keyStart + i] !== query[i]) return false;
    }
    const next = segment[keyStart + length];
    if (next !== SPACE && next !== TAB) return false;
    this.keyLength = length;
    this.locateValue();
    return true;
  }

  /** Sign of (key of `id`) - `query` in byte order. */
  compareKey(id: number, query: Uint8Array): number {
    this.locateKey(id);
    const { segment, keyStart, keyLength } = this;
    const common = Math.min(keyLength, query.length);
    for (let i = 0; i < common; i++) {
      const difference = segment[keyStart + i] - query[i];
      if (difference !== 0) return difference;
    }
    return keyLength - query.length;
  }

  /** True when entry `id`'s key starts with `prefix`. */
  keyStartsWith(id: number, prefix: Uint8Array): boolean {
    this.locateStart(id);
    const { segment, keyStart } = this;
    for (let i = 0; i < prefix.length; i++) {
      const byte = segment[keyStart + i];
      // Checked first: the separator ends the key even where the prefix has a space.
      if (byte === SPACE || byte === TAB || byte !== prefix[i]) return false;
    }
    return true;
  }

  private segmentOf(id: number): number {
    // Binary search for the last segment starting at or before `id`; there are few.
    const firsts = this.segmentFirstEntry;
    let low = 0;
    let high = firsts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (firsts[middle] <= id) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
