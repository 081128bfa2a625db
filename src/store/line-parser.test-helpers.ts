import { LineParser, type MalformedReason } from './line-parser.js';

/**
 * What the LineParser specs (line-parser*.spec.ts) share: feeding a parser bytes in
 * chunks and collecting what it reports. Not a spec itself, and left out of the build
 * (tsconfig.build.json).
 */

/** What the parser reported for one file, decoded from the byte ranges it gave. */
export interface Parsed {
  entries: Array<[key: string, value: string]>;
  /** The same entries as raw bytes, copied inside the callback. */
  raw: Array<[key: Buffer, value: Buffer]>;
  malformed: Array<[line: number, reason: MalformedReason]>;
  lines: number;
}

type Input = string | Buffer | readonly number[];

function bytesOf(input: Input): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  return Buffer.from(input as Uint8Array);
}

/**
 * Pushes `chunks` one after another, then ends. Each chunk is copied into a scratch buffer
 * that is overwritten right after `push` returns, as a reader reusing its buffer would do:
 * the parser is allowed to read a chunk only during the call.
 */
export function parseChunks(chunks: readonly Uint8Array[]): Parsed {
  const result: Parsed = { entries: [], raw: [], malformed: [], lines: 0 };
  const parser = new LineParser(
    (bytes, keyStart, keyEnd, valueEnd) => {
      if (!(keyStart < keyEnd && keyEnd < valueEnd + 1 && valueEnd <= bytes.length)) {
        throw new Error(`bad range ${keyStart} ${keyEnd} ${valueEnd} in ${bytes.length} bytes`);
      }
      if (bytes[keyEnd] !== 0x20 && bytes[keyEnd] !== 0x09) {
        throw new Error(`separator byte is 0x${bytes[keyEnd].toString(16)}, not a space or tab`);
      }
      const key = Buffer.from(bytes.subarray(keyStart, keyEnd));
      const value = Buffer.from(bytes.subarray(keyEnd + 1, valueEnd));
      result.raw.push([key, value]);
      result.entries.push([key.toString('utf8'), value.toString('utf8')]);
    },
    (line, reason) => {
      result.malformed.push([line, reason]);
    },
  );
  for (const chunk of chunks) {
    const scratch = Buffer.from(chunk);
    parser.push(scratch);
    scratch.fill(0xff);
  }
  parser.end();
  result.lines = parser.lines;
  return result;
}

function splitEvery(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

export function parse(input: Input, chunkSize?: number): Parsed {
  const bytes = bytesOf(input);
  return parseChunks(chunkSize === undefined ? [bytes] : splitEvery(bytes, chunkSize));
}

/** Only what a test usually compares: decoded entries, malformed lines and the line count. */
export function outcome(parsed: Parsed) {
  return { entries: parsed.entries, malformed: parsed.malformed, lines: parsed.lines };
}
