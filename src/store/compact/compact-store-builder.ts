import type { StoreBuilder } from '../key-value-store.js';
import { CompactStore, type CompactStoreParts, type HashedParts } from './compact-store.js';
import { HashIndex, MAX_ENTRIES } from './hash-index.js';
import { fnv1aHash, type KeyHash } from './key-hash.js';
import { sortEntriesByKey } from './key-order.js';
import { LF, MAX_SEGMENT_SIZE, RecordCursor } from './record-cursor.js';

export interface CompactStoreOptions {
  /** Largest segment in bytes (default and most: 2 GiB). A longer line gets a segment of its own. */
  segmentSize?: number;
  /** Expected data size, e.g. the file's: sizes the first segment and the entry arrays up front. */
  expectedBytes?: number;
  /** Replaces the key hash; for tests that force collisions. Look-ups must use the same one. */
  hash?: KeyHash;
  /**
   * Records and record offsets in SharedArrayBuffers: the thread `onHashIndexBuilt` hands
   * them to can answer look-ups while this one still sorts the keys (the loader's first
   * load). Such memory cannot be detached: `CompactStore.release` drops it and collects.
   */
  sharedMemory?: boolean;
}

export interface FinishOptions {
  /** See `finish`. */
  onHashIndexBuilt?: (parts: HashedParts) => void;
  /**
   * With `onHashIndexBuilt`: at most this much scratch memory for the sort (default: as
   * much as the hash index takes, one pass over the records). Less means more passes,
   * each reading every record once.
   */
  maxSortScratchBytes?: number;
}

/**
 * As large as record offsets allow, so a file of up to 2 GiB sits in one segment. Past
 * a segment's end the chunks in flight are read elsewhere and copied, and from then on
 * the line carried over between chunks no longer lies in place and is copied too, a
 * page fault on the loading thread per chunk: about 0.1 s of a 10M-line (1.2 GB) load
 * with 1 GiB segments.
 */
export const DEFAULT_SEGMENT_SIZE = MAX_SEGMENT_SIZE;
const SMALLEST_SEGMENT = 64 * 1024;
const SMALLEST_ENTRY_CAPACITY = 1024;
/** A line is at least 3 bytes ("k v"); 16 guesses high for real data, and unused capacity is never touched. */
const EXPECTED_BYTES_PER_LINE = 16;
/** Below this many bytes a copy loop beats a native `Buffer.copy` call. */
const NATIVE_COPY_THRESHOLD = 256;
const CR = 0x0d;

/**
 * Appends records to segments as the parser reports lines; `finish()` builds the hash
 * and order indexes. Memory comes from `new ArrayBuffer` (zero-filled pages the OS maps
 * on first write, so over-sized capacity costs address space, not memory), and every
 * array can be transferred from a worker without copying.
 *
 * Call `acceptChunk(chunk)` before the parser reads a chunk, and the lines found in it
 * are recorded by offset instead of copied one by one.
 *
 * `duplicates` is counted while the indexes are built, so it is final only after `finish()`.
 */
export class CompactStoreBuilder implements StoreBuilder {
  private readonly maxSegmentSize: number;
  private readonly hash: KeyHash;
  private readonly segments: Buffer[] = [];
  private readonly segmentFirstEntry: number[] = [];
  private segment: Buffer = Buffer.alloc(0);
  private segmentUsed = 0;
  private nextSegmentSize: number;
  /** The chunk `acceptChunk` copied, and where its first byte went in `segment`. */
  private chunk: Buffer | undefined;
  private chunkOffset = 0;
  private recordOffsets: Uint32Array;
  private entryCount = 0;
  private duplicateCount = 0;
  /** Bytes every key so far starts with (those of the first key); the sort skips them. */
  private commonPrefixLength = 0;
  private firstKey: Buffer = Buffer.alloc(0);
  private finished = false;
  private readonly sharedMemory: boolean;

  constructor(options: CompactStoreOptions = {}) {
    this.maxSegmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    assertSegmentSize(this.maxSegmentSize);
    this.hash = options.hash ?? fnv1aHash;
    this.sharedMemory = options.sharedMemory ?? false;
    const expectedBytes = options.expectedBytes ?? 0;
    // Slack for the chunk tails (partial lines) that are copied twice.
    this.nextSegmentSize = clamp(expectedBytes + expectedBytes / 64, SMALLEST_SEGMENT, this.maxSegmentSize);
    const capacity = Math.max(SMALLEST_ENTRY_CAPACITY, Math.ceil(expectedBytes / EXPECTED_BYTES_PER_LINE));
    this.recordOffsets = new Uint32Array(this.memory(capacity * 4));
  }

  get duplicates(): number {
    return this.duplicateCount;
  }

  /**
   * Copies `chunk` (one native copy) before the parser reports its lines, which `add`
   * then records by offset. Blank, malformed and partial lines are copied too: a few
   * bytes per chunk, and they sit between records where nothing points.
   */
  acceptChunk(chunk: Buffer): void {
    this.chunk = undefined;
    if (chunk.buffer === this.segment.buffer) {
      // Read straight into the segment (readTarget): nothing to copy.
      this.chunk = chunk;
      this.chunkOffset = chunk.byteOffset - this.segment.byteOffset;
      return;
    }
    if (chunk.length > this.maxSegmentSize) return;
    if (this.segmentUsed + chunk.length > this.segment.length) this.startSegment(chunk.length);
    chunk.copy(this.segment, this.segmentUsed);
    this.chunk = chunk;
    this.chunkOffset = this.segmentUsed;
    this.segmentUsed += chunk.length;
  }

  /**
   * The segment's memory for the next `length` bytes of the file, so the file is read
   * straight into the store rather than copied from a buffer (which, with the page
   * faults of the fresh memory, was the largest cost of loading a text file). Reserved
   * at once: lines copied meanwhile go after it. Undefined when the segment has no room;
   * the chunk is then read elsewhere and `acceptChunk` copies it. Pass the chunk read
   * into it to `acceptChunk` before its lines; a chunk that arrives after a new segment
   * began is copied like any other.
   */
  readTarget(length: number): Buffer | undefined {
    if (this.finished || length > this.maxSegmentSize) return undefined;
    // Only the first segment starts here: a later one must wait for the chunks before
    // it to be parsed, since a segment begins at the entry count of its start.
    if (this.segments.length === 0 && this.entryCount === 0) this.startSegment(length);
    if (this.segmentUsed + length > this.segment.length) return undefined;
    const target = this.segment.subarray(this.segmentUsed, this.segmentUsed + length);
    this.segmentUsed += length;
    return target;
  }

  add(bytes: Buffer, keyStart: number, keyEnd: number, valueEnd: number): void {
    if (this.finished) throw new Error('CompactStoreBuilder.add() after finish()');
    const keyLength = keyEnd - keyStart;
    let recordStart: number;
    if (bytes === this.chunk) {
      recordStart = this.chunkOffset + keyStart;
      // The line ends in LF or CRLF here (else the parser would have carried it over).
      if (bytes[valueEnd] === CR) this.segment[this.chunkOffset + valueEnd] = LF;
    } else {
      recordStart = this.lineInPlace(bytes, keyStart, valueEnd) ?? this.copyLine(bytes, keyStart, valueEnd);
    }
    if (this.entryCount === this.recordOffsets.length) this.growEntryArrays();
    const id = this.entryCount++;
    // No JSON-escape flag in bit 31: a look-up tests the value it decodes (CompactStoreParts.escapeFlags).
    this.recordOffsets[id] = recordStart;
    this.narrowCommonPrefix(id, bytes, keyStart, keyLength);
  }

  /**
   * Builds the indexes and returns the store. With `onHashIndexBuilt`, the hash index is
   * built first (finding the duplicates itself) and handed over before the keys are
   * sorted, with every part but the key order: `kv-server build` starts writing them
   * then, and the disk works while this thread sorts; the loader's first load starts
   * answering look-ups. That order needs scratch memory for the sort (the size of the
   * hash index, or `maxSortScratchBytes`); without the callback, the sort borrows the
   * hash index's memory before the index is built, and nothing beyond the finished
   * store's memory is ever in use (the loader's reloads).
   */
  finish(options: FinishOptions = {}): CompactStore {
    if (this.finished) throw new Error('CompactStoreBuilder.finish() called twice');
    this.finished = true;
    this.chunk = undefined;
    // Only the bytes in use: a snapshot writes the segments out as they are.
    if (this.segments.length > 0) this.segments[this.segments.length - 1] = this.segment.subarray(0, this.segmentUsed);
    const records = new RecordCursor(
      this.segments,
      Uint32Array.from(this.segmentFirstEntry),
      this.recordOffsets.subarray(0, this.entryCount),
    );
    const slots = HashIndex.allocateSlots(this.entryCount);
    const { index, order } = options.onHashIndexBuilt
      ? this.indexThenSort(records, slots, options.onHashIndexBuilt, options.maxSortScratchBytes ?? Infinity)
      : this.sortThenIndex(records, slots);
    return new CompactStore({ ...this.partsBut(records, index), order }, { hash: this.hash });
  }

  /** Every part of the finished store but the key order. */
  private partsBut(records: RecordCursor, index: HashIndex): Omit<CompactStoreParts, 'order'> {
    return {
      segments: this.segments,
      segmentFirstEntry: records.segmentFirstEntry,
      recordOffsets: records.recordOffsets,
      hashSlots: index.slots,
      tagBits: index.tagBits,
      escapeFlags: false,
    };
  }

  private sortThenIndex(records: RecordCursor, slots: Uint32Array<ArrayBuffer>) {
    // The hash table's memory, zeroed and not needed yet, is the sort's scratch memory;
    // the table is then built from the distinct keys the sort leaves.
    const { order, replaced, duplicates } = sortEntriesByKey(
      records,
      this.commonPrefixLength,
      new Uint32Array(this.entryCount),
      slots.buffer,
    );
    this.duplicateCount = duplicates;
    slots.fill(0);
    const index = HashIndex.build(records, replaced, slots, this.hash, this.commonPrefixLength);
    return { index, order };
  }

  private indexThenSort(
    records: RecordCursor,
    slots: Uint32Array<ArrayBuffer>,
    onHashIndexBuilt: (parts: HashedParts) => void,
    maxScratchBytes: number,
  ) {
    // Not the reloads' way too: finding the duplicates here makes the index 10-15% slower to build.
    const { index, duplicates } = HashIndex.buildReplacing(records, slots, this.hash, this.commonPrefixLength);
    // Sized before the hand-over, which may transfer (detach) the index's memory. Whole 64-bit words.
    const scratchBytes = Math.min(slots.byteLength, Math.max(8, Math.floor(maxScratchBytes / 8) * 8));
    onHashIndexBuilt({ ...this.partsBut(records, index), keys: this.entryCount - duplicates });
    const scratch = new ArrayBuffer(scratchBytes);
    const sorted = sortEntriesByKey(records, this.commonPrefixLength, new Uint32Array(this.entryCount), scratch);
    // Two independent searches for the same thing: a disagreement is a bug, never data.
    if (sorted.duplicates !== duplicates) {
      throw new Error(`The sort found ${sorted.duplicates} duplicate keys and the hash index ${duplicates}`);
    }
    this.duplicateCount = duplicates;
    return { index, order: sorted.order };
  }

  /**
   * Where a line the parser carried over from one chunk to the next already sits in
   * the segment, when the chunks were read into it one after the other: it ends at
   * this chunk's first LF. Compared byte for byte before it is used. Copying it instead
   * would write at the segment's far end, into fresh pages, a page fault per chunk on
   * this thread where the reads fault them in on others.
   */
  private lineInPlace(line: Buffer, keyStart: number, valueEnd: number): number | undefined {
    const chunk = this.chunk;
    if (chunk === undefined || chunk.buffer !== this.segment.buffer) return undefined;
    const newline = chunk.indexOf(LF);
    if (newline === -1) return undefined;
    const lineEnd = this.chunkOffset + newline;
    const lineStart = lineEnd - line.length;
    if (lineStart < 0 || this.segment.compare(line, 0, line.length, lineStart, lineEnd) !== 0) return undefined;
    if (line[valueEnd] === CR) this.segment[lineStart + valueEnd] = LF;
    return lineStart + keyStart;
  }

  /** Copies `key SEP value` and an LF; returns where it starts. */
  private copyLine(bytes: Buffer, start: number, end: number): number {
    const length = end - start;
    if (this.segmentUsed + length + 1 > this.segment.length) {
      this.startSegment(length + 1);
      // The chunk's copy is in the previous segment now: copy its remaining lines one by one.
      this.chunk = undefined;
    }
    const segment = this.segment;
    const recordStart = this.segmentUsed;
    if (length >= NATIVE_COPY_THRESHOLD) bytes.copy(segment, recordStart, start, end);
    else for (let i = 0; i < length; i++) segment[recordStart + i] = bytes[start + i];
    segment[recordStart + length] = LF;
    this.segmentUsed = recordStart + length + 1;
    return recordStart;
  }

  private narrowCommonPrefix(id: number, bytes: Buffer, keyStart: number, keyLength: number): void {
    if (id === 0) {
      this.firstKey = Buffer.from(bytes.subarray(keyStart, keyStart + keyLength));
      this.commonPrefixLength = keyLength;
      return;
    }
    const firstKey = this.firstKey;
    let common = Math.min(this.commonPrefixLength, keyLength);
    for (let i = 0; i < common; i++) {
      if (bytes[keyStart + i] !== firstKey[i]) {
        common = i;
        break;
      }
    }
    this.commonPrefixLength = common;
  }

  private startSegment(minimumSize: number): void {
    const size = Math.max(minimumSize, this.nextSegmentSize);
    if (this.segments.length > 0) this.segments[this.segments.length - 1] = this.segment.subarray(0, this.segmentUsed);
    this.segment = Buffer.from(this.memory(size));
    this.segmentUsed = 0;
    this.segments.push(this.segment);
    this.segmentFirstEntry.push(this.entryCount);
    this.nextSegmentSize = Math.min(this.maxSegmentSize, this.nextSegmentSize * 2);
  }

  /** Zeroed memory, shared between threads when `sharedMemory` was asked for. */
  private memory(bytes: number): ArrayBuffer | SharedArrayBuffer {
    return this.sharedMemory ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  }

  private growEntryArrays(): void {
    if (this.entryCount >= MAX_ENTRIES) throw new RangeError(`A compact store holds at most ${MAX_ENTRIES} entries.`);
    const offsets = new Uint32Array(this.memory(Math.min(MAX_ENTRIES, this.recordOffsets.length * 2) * 4));
    offsets.set(this.recordOffsets);
    this.recordOffsets = offsets;
  }
}

export function assertSegmentSize(size: number): void {
  if (!(Number.isSafeInteger(size) && size >= 1 && size <= MAX_SEGMENT_SIZE)) {
    throw new RangeError(`segmentSize must be a whole number of bytes from 1 to ${MAX_SEGMENT_SIZE}`);
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, Math.ceil(value)));
}
