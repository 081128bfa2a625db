/** Whether a stored value can be served inside a JSON body as it is: see CompactStore.getJsonEntry. */

/**
 * True when JSON.stringify would escape something in the value: `"`, `\` or a control
 * character below U+0020. (It leaves U+2028, U+2029 and DEL as they are, and valid
 * UTF-8 holds no lone surrogates.)
 */
export function valueNeedsJsonEscape(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte < 0x20 || byte === 0x22 || byte === 0x5c) return true;
  }
  return false;
}

/**
 * valueNeedsJsonEscape over a segment, four bytes at a time where it can: the values
 * are most of a file's bytes, and this takes half the time of the byte-by-byte loop
 * over them, which a CPU profile put among the largest costs of loading a text file.
 * `words` views the segment's memory from its first byte. A word is tested with the bit tricks of "Bit Twiddling
 * Hacks" (a byte below 0x20; a byte equal to `"` or `\`: a zero byte after XOR), which
 * have no false negatives; its bytes are then checked one by one. (Byte offsets are
 * multiplied, not shifted: in a 2 GiB segment `<< 2` would overflow to a negative.)
 */
export function valueNeedsJsonEscapeInWords(bytes: Buffer, words: Uint32Array, start: number, end: number): boolean {
  const firstWord = (start + 3) >>> 2;
  const endWord = end >>> 2;
  if (firstWord >= endWord) return valueNeedsJsonEscape(bytes, start, end);
  if (valueNeedsJsonEscape(bytes, start, firstWord * 4)) return true;
  for (let w = firstWord; w < endWord; w++) {
    const word = words[w];
    const quote = word ^ 0x22222222;
    const backslash = word ^ 0x5c5c5c5c;
    const suspect =
      ((word - 0x20202020) & ~word) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash);
    if ((suspect & 0x80808080) !== 0 && valueNeedsJsonEscape(bytes, w * 4, w * 4 + 4)) return true;
  }
  return valueNeedsJsonEscape(bytes, endWord * 4, end);
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f]/;

/** valueNeedsJsonEscape for a value already decoded (from valid UTF-8, so no lone surrogates). */
export function stringNeedsJsonEscape(value: string): boolean {
  return NEEDS_JSON_ESCAPE.test(value);
}
