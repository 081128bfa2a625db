import { isUtf8 } from 'node:buffer';

/**
 * Streaming parser for the `<key> <value>` data format (docs/data-format.md).
 *
 * It works on bytes, never on whole-file strings: chunks are pushed as they are read,
 * each complete line is reported as byte offsets into a buffer, and only a line split
 * across two chunks is copied. That keeps memory proportional to the dataset and lets
 * a store decide how (and whether) to turn the bytes into strings.
 */

export type MalformedReason = 'invalid-utf8' | 'empty-key' | 'no-separator' | 'whitespace-in-key';

export const MALFORMED_REASON_TEXT: Record<MalformedReason, string> = {
  'invalid-utf8': 'not valid UTF-8',
  'empty-key': 'empty key (the line starts with a space or tab)',
  'no-separator': 'no space or tab between key and value',
  'whitespace-in-key': 'the key contains a whitespace character',
};

/** Receives every well-formed line: key is `bytes[keyStart, keyEnd)`, value `bytes[keyEnd + 1, valueEnd)`. */
export type EntrySink = (bytes: Buffer, keyStart: number, keyEnd: number, valueEnd: number) => void;
export type MalformedSink = (lineNumber: number, reason: MalformedReason) => void;

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** Unicode White_Space; JavaScript's `\s` would wrongly match U+FEFF and miss U+0085. */
const UNICODE_WHITESPACE = /\p{White_Space}/u;

export class LineParser {
  private lineNumber = 0;
  private carry: Buffer[] = [];
  private atFileStart = true;

  constructor(
    private readonly onEntry: EntrySink,
    private readonly onMalformed: MalformedSink,
  ) {}

  /** Lines seen so far, including blank and malformed ones. */
  get lines(): number {
    return this.lineNumber;
  }

  /**
   * Parses the complete lines in `chunk`. The chunk is only read during this call, so
   * the caller may reuse its memory afterwards.
   */
  push(chunk: Buffer): void {
    let start = 0;
    if (this.carry.length > 0) {
      const newline = chunk.indexOf(LF);
      if (newline === -1) {
        this.carry.push(Buffer.from(chunk));
        return;
      }
      this.carry.push(chunk.subarray(0, newline));
      const line = Buffer.concat(this.carry);
      this.carry = [];
      this.parseLine(line, 0, line.length, true, false);
      start = newline + 1;
    }
    // One vectorised check per chunk instead of one per line; a chunk that fails it
    // (bad bytes, or a character cut at the chunk's end) falls back to per-line checks.
    const chunkIsUtf8 = isUtf8(chunk);
    for (;;) {
      const newline = chunk.indexOf(LF, start);
      if (newline === -1) break;
      this.parseLine(chunk, start, newline, true, chunkIsUtf8);
      start = newline + 1;
    }
    if (start < chunk.length) this.carry.push(Buffer.from(chunk.subarray(start)));
  }

  /** Parses the last line when the file does not end in `\n`. */
  end(): void {
    if (this.carry.length === 0) return;
    const line = Buffer.concat(this.carry);
    this.carry = [];
    this.parseLine(line, 0, line.length, false, false);
  }

  private parseLine(bytes: Buffer, start: number, end: number, endedByNewline: boolean, knownUtf8: boolean): void {
    this.lineNumber++;
    if (this.atFileStart) {
      this.atFileStart = false;
      if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) {
        start += 3;
      }
    }
    // Only a CR that is part of a CRLF ending is a line ending; any other CR is data.
    if (endedByNewline && end > start && bytes[end - 1] === CR) end--;
    if (start === end) return;

    const first = bytes[start];
    if (first === SPACE || first === TAB) {
      if (isBlank(bytes, start, end)) return;
      if (!knownUtf8 && !isUtf8(bytes.subarray(start, end))) return this.onMalformed(this.lineNumber, 'invalid-utf8');
      return this.onMalformed(this.lineNumber, 'empty-key');
    }
    if (!knownUtf8 && !isUtf8(bytes.subarray(start, end))) return this.onMalformed(this.lineNumber, 'invalid-utf8');

    // Keys are short: one pass finds the separator and flags what needs a closer look.
    // Space and tab end the key and LF ends the line, so of ASCII whitespace only CR,
    // VT and FF can be inside a key; anything non-ASCII is checked against Unicode.
    let separator = -1;
    let asciiWhitespace = false;
    let asciiOnly = true;
    for (let i = start; i < end; i++) {
      const byte = bytes[i];
      if (byte === SPACE || byte === TAB) {
        separator = i;
        break;
      }
      if (byte === 0x0b || byte === 0x0c || byte === CR) asciiWhitespace = true;
      else if (byte >= 0x80) asciiOnly = false;
    }
    if (separator === -1) return this.onMalformed(this.lineNumber, 'no-separator');
    if (asciiWhitespace || (!asciiOnly && UNICODE_WHITESPACE.test(bytes.toString('utf8', start, separator)))) {
      return this.onMalformed(this.lineNumber, 'whitespace-in-key');
    }
    this.onEntry(bytes, start, separator, end);
  }
}

function isBlank(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (bytes[i] !== SPACE && bytes[i] !== TAB) return false;
  }
  return true;
}

/** True when `key` could be a key of some dataset: non-empty and free of whitespace. */
export function isPossibleKey(key: string): boolean {
  return key.length > 0 && !UNICODE_WHITESPACE.test(key);
}
