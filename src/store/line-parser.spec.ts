import fc from 'fast-check';
import { LineParser, type MalformedReason } from './line-parser.js';

/** What the parser reported for one file, decoded from the byte ranges it gave. */
interface Parsed {
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
function parseChunks(chunks: readonly Uint8Array[]): Parsed {
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

function parse(input: Input, chunkSize?: number): Parsed {
  const bytes = bytesOf(input);
  return parseChunks(chunkSize === undefined ? [bytes] : splitEvery(bytes, chunkSize));
}

/** Only what a test usually compares: decoded entries, malformed lines and the line count. */
function outcome(parsed: Parsed) {
  return { entries: parsed.entries, malformed: parsed.malformed, lines: parsed.lines };
}

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

describe('LineParser: the key and the separator', () => {
  it('parses a simple line', () => {
    expect(outcome(parse('k v\n'))).toEqual({ entries: [['k', 'v']], malformed: [], lines: 1 });
  });

  it('splits at the first space; later spaces belong to the value', () => {
    expect(parse('a b c\n').entries).toEqual([['a', 'b c']]);
  });

  it('accepts a tab as the separator', () => {
    expect(parse('a\tb\n').entries).toEqual([['a', 'b']]);
  });

  it('splits at whichever of space and tab comes first', () => {
    expect(parse('a\tb c\nx y\tz\n').entries).toEqual([
      ['a', 'b c'],
      ['x', 'y\tz'],
    ]);
  });

  it('reports the separator byte itself as not part of key or value', () => {
    const parsed = parse('key value\n');
    expect(parsed.raw).toEqual([[Buffer.from('key'), Buffer.from('value')]]);
  });

  it('reports entries in file order, duplicates included', () => {
    expect(parse('b 1\na 2\nb 3\n').entries).toEqual([
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
    ]);
  });

  it('accepts non-ASCII keys and values', () => {
    expect(parse('日本 語\né €\n😀 😀\n').entries).toEqual([
      ['日本', '語'],
      ['é', '€'],
      ['😀', '😀'],
    ]);
  });
});

describe('LineParser: the value is kept byte for byte', () => {
  it.each([
    ['k  v \n', 'k', ' v '],
    ['k \n', 'k', ''],
    ['k\t\n', 'k', ''],
    ['k\t\tv\n', 'k', '\tv'],
    ['k \t v \t\n', 'k', '\t v \t'],
    ['k    \n', 'k', '   '],
    ['k a  b\t\tc\n', 'k', 'a  b\t\tc'],
    ['k \u00a0v\u3000\n', 'k', '\u00a0v\u3000'],
    ['k \v\f\n', 'k', '\v\f'],
  ])('%j gives key %j and value %j', (line, key, value) => {
    const parsed = parse(line);
    expect(parsed.entries).toEqual([[key, value]]);
    expect(parsed.raw[0][1]).toEqual(Buffer.from(value, 'utf8'));
    expect(parsed.malformed).toEqual([]);
  });

  it('keeps an empty value distinct from a missing line', () => {
    expect(parse('a \nb 1\n').entries).toEqual([
      ['a', ''],
      ['b', '1'],
    ]);
  });
});

describe('LineParser: line endings', () => {
  it('strips a \\r right before \\n (CRLF)', () => {
    expect(outcome(parse('a 1\r\nb 2\r\n'))).toEqual({
      entries: [
        ['a', '1'],
        ['b', '2'],
      ],
      malformed: [],
      lines: 2,
    });
  });

  it('strips only one \\r before \\n: the other one is data', () => {
    expect(parse('k v\r\r\n').entries).toEqual([['k', 'v\r']]);
  });

  it('keeps a \\r in the middle of a value', () => {
    expect(parse('k a\rb\n').entries).toEqual([['k', 'a\rb']]);
  });

  it('keeps a \\r that ends an unterminated last line', () => {
    expect(parse('a 1\nk v\r').entries).toEqual([
      ['a', '1'],
      ['k', 'v\r'],
    ]);
  });

  it('keeps a \\r that is the whole value of an unterminated last line', () => {
    expect(parse('k \r').entries).toEqual([['k', '\r']]);
  });

  it('gives the empty value for "k \\r\\n"', () => {
    expect(parse('k \r\n').entries).toEqual([['k', '']]);
  });

  it('mixes LF and CRLF lines in one file', () => {
    expect(parse('a 1\nb 2\r\nc 3\n').entries).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  it('parses a last line without \\n', () => {
    expect(outcome(parse('a 1\nb 2'))).toEqual({
      entries: [
        ['a', '1'],
        ['b', '2'],
      ],
      malformed: [],
      lines: 2,
    });
  });

  it('reports a malformed unterminated last line with its line number', () => {
    expect(outcome(parse('a 1\nlonely'))).toEqual({
      entries: [['a', '1']],
      malformed: [[2, 'no-separator']],
      lines: 2,
    });
  });

  it('treats a lone \\r on an unterminated last line as data (a line with no separator)', () => {
    expect(outcome(parse('a 1\n\r'))).toEqual({
      entries: [['a', '1']],
      malformed: [[2, 'no-separator']],
      lines: 2,
    });
  });

  it('reports nothing for an empty input', () => {
    expect(outcome(parse(''))).toEqual({ entries: [], malformed: [], lines: 0 });
  });
});

describe('LineParser: byte-order mark', () => {
  it('ignores a UTF-8 BOM at the very start', () => {
    expect(outcome(parse('\uFEFFk v\n'))).toEqual({ entries: [['k', 'v']], malformed: [], lines: 1 });
  });

  it('ignores a BOM at the start of a CRLF file', () => {
    expect(parse('\uFEFFk v\r\nb 2\r\n').entries).toEqual([
      ['k', 'v'],
      ['b', '2'],
    ]);
  });

  it('ignores only one BOM: a second one is part of the first key', () => {
    expect(parse('\uFEFF\uFEFFk v\n').entries).toEqual([['\uFEFFk', 'v']]);
  });

  it('keeps a BOM at the start of line 2 as part of the key (U+FEFF is not White_Space)', () => {
    expect(outcome(parse('a 1\n\uFEFFb 2\n'))).toEqual({
      entries: [
        ['a', '1'],
        ['\uFEFFb', '2'],
      ],
      malformed: [],
      lines: 2,
    });
  });

  it('keeps a BOM that starts line 2 after an empty line 1', () => {
    expect(parse('\n\uFEFFb 2\n').entries).toEqual([['\uFEFFb', '2']]);
  });

  it('treats a line holding only the BOM as blank', () => {
    expect(outcome(parse('\uFEFF\nlonely\n'))).toEqual({ entries: [], malformed: [[2, 'no-separator']], lines: 2 });
  });

  it('reports an empty key when the BOM is followed by a space', () => {
    expect(parse('\uFEFF k v\n').malformed).toEqual([[1, 'empty-key']]);
  });

  it('keeps a U+FEFF inside a value', () => {
    expect(parse('\uFEFFk \uFEFFv\uFEFF\n').entries).toEqual([['k', '\uFEFFv\uFEFF']]);
  });
});

describe('LineParser: blank lines', () => {
  it('skips empty lines and lines of only spaces and tabs, but counts them', () => {
    expect(outcome(parse('\n\n  \n\t\n \t \r\n\r\nk v\nlonely\n'))).toEqual({
      entries: [['k', 'v']],
      malformed: [[8, 'no-separator']],
      lines: 8,
    });
  });

  it('skips an unterminated last line of only spaces and tabs', () => {
    expect(outcome(parse('k v\n \t '))).toEqual({ entries: [['k', 'v']], malformed: [], lines: 2 });
  });

  it('does not treat a line of spaces and a \\v as blank', () => {
    expect(parse('k v\n \v\n').malformed).toEqual([[2, 'empty-key']]);
  });
});

describe('LineParser: malformed lines', () => {
  it('reports a line with no separator', () => {
    expect(outcome(parse('lonely\n'))).toEqual({ entries: [], malformed: [[1, 'no-separator']], lines: 1 });
  });

  it('reports a line with no separator before CRLF', () => {
    expect(parse('lonely\r\n').malformed).toEqual([[1, 'no-separator']]);
  });

  it.each([' k v', '\tk v', ' k', '  v', '\t\tv', ' \tk'])('reports %j as an empty key', (line) => {
    expect(outcome(parse(`${line}\n`))).toEqual({ entries: [], malformed: [[1, 'empty-key']], lines: 1 });
  });

  it('reports a key holding a \\r in the middle of the line', () => {
    expect(outcome(parse('a\rb c\n'))).toEqual({ entries: [], malformed: [[1, 'whitespace-in-key']], lines: 1 });
  });

  it('reports a key ending in \\r right before the separator', () => {
    expect(parse('a\r b\r\n').malformed).toEqual([[1, 'whitespace-in-key']]);
  });

  const whitespaceInKeys: Array<[string, number]> = [
    0x0b, 0x0c, 0x0d, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
    0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  ].map((code) => [hex(code), code]);

  it.each(whitespaceInKeys)('reports a key holding %s', (_name, code) => {
    const ch = String.fromCodePoint(code);
    expect(outcome(parse(`ok 1\na${ch}b c\n${ch}x y\nz${ch} w\nok 2\n`))).toEqual({
      entries: [
        ['ok', '1'],
        ['ok', '2'],
      ],
      malformed: [
        [2, 'whitespace-in-key'],
        [3, 'whitespace-in-key'],
        [4, 'whitespace-in-key'],
      ],
      lines: 5,
    });
  });

  const allowedInKeys: Array<[string, number]> = [0x1c, 0x1d, 0x1e, 0x1f, 0x200b, 0xfeff, 0x180e, 0x2060, 0x00].map(
    (code) => [hex(code), code],
  );

  it.each(allowedInKeys)('accepts %s in a key (not White_Space)', (_name, code) => {
    const ch = String.fromCodePoint(code);
    expect(outcome(parse(`a${ch}b 1\n${ch} 2\n`))).toEqual({
      entries: [
        [`a${ch}b`, '1'],
        [ch, '2'],
      ],
      malformed: [],
      lines: 2,
    });
  });

  const invalidSequences: Array<[string, number[]]> = [
    ['overlong 2-byte "/" (C0 AF)', [0xc0, 0xaf]],
    ['overlong 2-byte (C1 BF)', [0xc1, 0xbf]],
    ['overlong 3-byte "/" (E0 80 AF)', [0xe0, 0x80, 0xaf]],
    ['overlong 4-byte "/" (F0 80 80 AF)', [0xf0, 0x80, 0x80, 0xaf]],
    ['overlong NUL (C0 80)', [0xc0, 0x80]],
    ['lone continuation byte 80', [0x80]],
    ['lone continuation byte BF', [0xbf]],
    ['truncated 3-byte sequence (E2 82)', [0xe2, 0x82]],
    ['truncated 4-byte sequence (F0 9F 98)', [0xf0, 0x9f, 0x98]],
    ['lone lead byte C3', [0xc3]],
    ['high surrogate encoded as UTF-8 (ED A0 80)', [0xed, 0xa0, 0x80]],
    ['low surrogate encoded as UTF-8 (ED BF BF)', [0xed, 0xbf, 0xbf]],
    ['code point above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
    ['byte FE', [0xfe]],
    ['byte FF', [0xff]],
  ];

  it.each(invalidSequences)('reports invalid UTF-8 in a key: %s', (_name, sequence) => {
    const file = Buffer.concat([Buffer.from('a 1\nk'), Buffer.from(sequence), Buffer.from('x v\nb 2\n')]);
    expect(outcome(parse(file))).toEqual({
      entries: [
        ['a', '1'],
        ['b', '2'],
      ],
      malformed: [[2, 'invalid-utf8']],
      lines: 3,
    });
  });

  it.each(invalidSequences)('reports invalid UTF-8 in a value: %s', (_name, sequence) => {
    const file = Buffer.concat([Buffer.from('a 1\nk v'), Buffer.from(sequence), Buffer.from('x\r\nb 2\n')]);
    expect(outcome(parse(file))).toEqual({
      entries: [
        ['a', '1'],
        ['b', '2'],
      ],
      malformed: [[2, 'invalid-utf8']],
      lines: 3,
    });
  });

  it.each(invalidSequences)('reports invalid UTF-8 at the end of an unterminated last line: %s', (_name, sequence) => {
    const file = Buffer.concat([Buffer.from('a 1\nk v'), Buffer.from(sequence)]);
    expect(parse(file).malformed).toEqual([[2, 'invalid-utf8']]);
  });

  it('reports invalid UTF-8 in a line whose neighbours in the same chunk are valid', () => {
    const file = Buffer.concat([Buffer.from('a 1\nb 2\n'), Buffer.from([0xff]), Buffer.from(' v\nc 3\n')]);
    expect(outcome(parse(file))).toEqual({
      entries: [
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ],
      malformed: [[3, 'invalid-utf8']],
      lines: 4,
    });
  });

  it('accepts the largest valid sequences (U+10FFFF, U+FFFF, U+D7FF, U+E000)', () => {
    const values = ['\u{10FFFF}', '\uFFFF', '\uD7FF', '\uE000'];
    expect(parse(values.map((v, i) => `k${i} ${v}\n`).join('')).entries).toEqual(values.map((v, i) => [`k${i}`, v]));
  });

  it('numbers lines from 1, counting blank, malformed and CRLF lines', () => {
    const file = 'a 1\r\n\r\nlonely\r\n \t\r\n x\nb 2\nc\u00a0d e\n\n\nlast';
    expect(outcome(parse(file))).toEqual({
      entries: [
        ['a', '1'],
        ['b', '2'],
      ],
      malformed: [
        [3, 'no-separator'],
        [5, 'empty-key'],
        [7, 'whitespace-in-key'],
        [10, 'no-separator'],
      ],
      lines: 10,
    });
  });
});

describe('LineParser: chunk boundaries', () => {
  // Every rule in one file: BOM, CRLF, blank lines, each malformed class, multi-byte
  // characters of 2, 3 and 4 bytes, \r as data, a BOM on a later line and a final \r.
  const file = Buffer.concat([
    Buffer.from('\uFEFFé 1\r\n\n \t\r\nlonely\n日本 語\tx\r\nk'),
    Buffer.from([0xff]),
    Buffer.from(' v\n k v\na\u00a0b c\n😀 €\r\r\n\uFEFFz  \nlast v\r'),
  ]);
  const expected = {
    entries: [
      ['é', '1'],
      ['日本', '語\tx'],
      ['😀', '€\r'],
      ['\uFEFFz', ' '],
      ['last', 'v\r'],
    ],
    malformed: [
      [4, 'no-separator'],
      [6, 'invalid-utf8'],
      [7, 'empty-key'],
      [8, 'whitespace-in-key'],
    ],
    lines: 11,
  };

  it('parses the whole file in one piece', () => {
    expect(outcome(parse(file))).toEqual(expected);
  });

  it.each([1, 2, 3, 7])('gives the same result in chunks of %i bytes', (size) => {
    expect(outcome(parse(file, size))).toEqual(expected);
  });

  it('gives the same result split in two at every byte offset', () => {
    for (let cut = 0; cut <= file.length; cut++) {
      const parsed = parseChunks([file.subarray(0, cut), file.subarray(cut)]);
      expect({ cut, ...outcome(parsed) }).toEqual({ cut, ...expected });
    }
  });

  it('gives the same result split in three at every pair of byte offsets', () => {
    for (let first = 0; first <= file.length; first++) {
      for (let second = first; second <= file.length; second++) {
        const parsed = parseChunks([file.subarray(0, first), file.subarray(first, second), file.subarray(second)]);
        expect({ first, second, ...outcome(parsed) }).toEqual({ first, second, ...expected });
      }
    }
  });

  it('reassembles a BOM split over three chunks', () => {
    const parsed = parseChunks([Buffer.from([0xef]), Buffer.from([0xbb]), Buffer.from([0xbf]), Buffer.from('k v\n')]);
    expect(outcome(parsed)).toEqual({ entries: [['k', 'v']], malformed: [], lines: 1 });
  });

  it('ignores a BOM-only input pushed byte by byte', () => {
    expect(outcome(parse('\uFEFF', 1)).entries).toEqual([]);
    expect(outcome(parse('\uFEFF', 1)).malformed).toEqual([]);
  });

  it('reassembles a 4-byte character split over four chunks, in key and in value', () => {
    const parsed = parse('😀 😀\n', 1);
    expect(parsed.entries).toEqual([['😀', '😀']]);
    expect(parsed.malformed).toEqual([]);
  });

  it('reassembles a CRLF split between two chunks', () => {
    expect(parseChunks([Buffer.from('k v\r'), Buffer.from('\nb 2\n')]).entries).toEqual([
      ['k', 'v'],
      ['b', '2'],
    ]);
  });

  it('accepts empty chunks anywhere', () => {
    const empty = Buffer.alloc(0);
    const parsed = parseChunks([empty, Buffer.from('k '), empty, Buffer.from('v\nb'), empty, Buffer.from(' 2'), empty]);
    expect(outcome(parsed)).toEqual({
      entries: [
        ['k', 'v'],
        ['b', '2'],
      ],
      malformed: [],
      lines: 2,
    });
  });
});

describe('LineParser: long lines', () => {
  // 'é' is two bytes: a 4 KiB key. The value pattern is 8 bytes with spaces, a tab and a \r.
  const key = 'é'.repeat(2048);
  const value = ' a\tb\r€'.repeat(131072);
  const file = Buffer.from(`${key} ${value}\nnext 1\n`, 'utf8');

  it('builds a file with a 4 KiB key and a 1 MiB value', () => {
    expect(Buffer.byteLength(key)).toBe(4096);
    expect(Buffer.byteLength(value)).toBe(1 << 20);
  });

  it.each([undefined, 65536, 1000, 4097])('keeps both byte for byte (chunk size %p)', (size) => {
    const parsed = parse(file, size);
    expect(parsed.malformed).toEqual([]);
    expect(parsed.raw.length).toBe(2);
    expect(parsed.raw[0][0].equals(Buffer.from(key))).toBe(true);
    expect(parsed.raw[0][1].equals(Buffer.from(value))).toBe(true);
    expect(parsed.entries[1]).toEqual(['next', '1']);
    expect(parsed.lines).toBe(2);
  });

  it('reports a 4 KiB key with a whitespace character at its end', () => {
    expect(parse(`${key}\u3000 v\nk v\n`, 1000).malformed).toEqual([[1, 'whitespace-in-key']]);
  });
});

// ---------------------------------------------------------------------------------------
// Property test against an independent model of the data format (docs/data-format.md).

/** Unicode White_Space (PropList.txt), written out rather than taken from a regex. */
const WHITE_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/**
 * A straightforward reading of the contract, on strings. Where one line breaks several
 * rules, the reason is the first of: invalid UTF-8, empty key, no separator, whitespace
 * in key (the generator below only makes lines that break one rule).
 */
function model(file: Buffer): Omit<Parsed, 'raw'> {
  const entries: Parsed['entries'] = [];
  const malformed: Parsed['malformed'] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  // latin1 maps bytes to code units one to one, so splitting the string splits the bytes.
  const pieces = file.toString('latin1').split('\n');
  const terminated = pieces.length - 1;
  if (pieces[pieces.length - 1] === '') pieces.pop();
  pieces.forEach((piece, index) => {
    const lineNumber = index + 1;
    let text: string;
    try {
      text = decoder.decode(Buffer.from(piece, 'latin1'));
    } catch {
      malformed.push([lineNumber, 'invalid-utf8']);
      return;
    }
    if (index === 0 && text.startsWith('\uFEFF')) text = text.slice(1);
    if (index < terminated && text.endsWith('\r')) text = text.slice(0, -1);
    if (/^[ \t]*$/.test(text)) return;
    if (text.startsWith(' ') || text.startsWith('\t')) {
      malformed.push([lineNumber, 'empty-key']);
      return;
    }
    const separator = text.search(/[ \t]/);
    if (separator === -1) {
      malformed.push([lineNumber, 'no-separator']);
      return;
    }
    const key = text.slice(0, separator);
    if (Array.from(key).some((ch) => WHITE_SPACE.has(ch.codePointAt(0)!))) {
      malformed.push([lineNumber, 'whitespace-in-key']);
      return;
    }
    entries.push([key, text.slice(separator + 1)]);
  });
  return { entries, malformed, lines: pieces.length };
}

type LineSpec =
  | { kind: 'entry'; key: string; separator: ' ' | '\t'; value: string }
  | { kind: 'blank'; text: string }
  | { kind: 'malformed'; reason: MalformedReason; bytes: Buffer };

const keyArb = fc.constantFrom(
  'a',
  'b',
  'ab',
  'é',
  '日本',
  '😀',
  'k\u200Bk',
  'x\uFEFF',
  '\uFEFFb',
  '\u001Cz',
  '\u001F',
);
const valueArb = fc
  .array(fc.constantFrom('a', 'Z', ' ', '\t', '\r', 'é', '€', '😀', '\u00a0', '\u0085', '\u2028', '\uFEFF', '\v'), {
    maxLength: 8,
  })
  .map((chars) => chars.join(''))
  // A \r at the end of a terminated line is a line ending, not data: keep it in the middle.
  .map((value) => (value.endsWith('\r') ? `${value}x` : value));
const separatorArb = fc.constantFrom<' ' | '\t'>(' ', '\t');

const entryArb: fc.Arbitrary<LineSpec> = fc.record({
  kind: fc.constant('entry' as const),
  key: keyArb,
  separator: separatorArb,
  value: valueArb,
});
const blankArb: fc.Arbitrary<LineSpec> = fc.record({
  kind: fc.constant('blank' as const),
  text: fc.constantFrom('', ' ', '\t', ' \t ', '\t\t'),
});
const malformedText = (reason: MalformedReason, text: fc.Arbitrary<string>): fc.Arbitrary<LineSpec> =>
  text.map((t) => ({ kind: 'malformed' as const, reason, bytes: Buffer.from(t, 'utf8') }));

const whitespaceChars = Array.from(WHITE_SPACE)
  .filter((code) => code !== 0x09 && code !== 0x0a && code !== 0x20)
  .map((code) => String.fromCodePoint(code));
const invalidSequences = [
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xf0, 0x80, 0x80, 0xaf],
  [0x80],
  [0xbf],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xfe],
  [0xff],
].map((bytes) => Buffer.from(bytes));

const lineSpecArb: fc.Arbitrary<LineSpec> = fc.oneof(
  { arbitrary: entryArb, weight: 6 },
  { arbitrary: blankArb, weight: 1 },
  malformedText('no-separator', fc.constantFrom('lonely', 'é', '日本語', 'a\u200Bb', 'x\uFEFF', '\u001C')),
  malformedText(
    'empty-key',
    fc.tuple(fc.constantFrom(' ', '\t'), fc.constantFrom('k v', 'k', '\tv', 'é x', ' y')).map(([a, b]) => a + b),
  ),
  malformedText(
    'whitespace-in-key',
    fc
      .tuple(
        fc.constantFrom('', 'a', 'é'),
        fc.constantFrom(...whitespaceChars),
        fc.constantFrom('', 'b', '日'),
        separatorArb,
        valueArb,
      )
      .map((parts) => parts.join('')),
  ),
  fc
    .tuple(
      fc.constantFrom('', 'k', 'é', 'k ', 'k\t', 'k é', 'lonely'),
      fc.constantFrom(...invalidSequences),
      fc.constantFrom('', 'x', ' v', 'é', '\tz', ' \r'),
    )
    .map(([before, bad, after]) => ({
      kind: 'malformed' as const,
      reason: 'invalid-utf8' as const,
      bytes: Buffer.concat([Buffer.from(before), bad, Buffer.from(after)]),
    })),
);

const fileArb = fc.record({
  specs: fc.array(fc.record({ line: lineSpecArb, crlf: fc.boolean() }), { maxLength: 40 }),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
  /** With no final newline, end the last entry's value in a \r (which is then data). */
  finalCr: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
});

interface Rendered {
  bytes: Buffer;
  /** What each spec should turn into, by construction. */
  intended: { entries: Parsed['entries']; malformed: Parsed['malformed'] };
}

type FileSpec = typeof fileArb extends fc.Arbitrary<infer T> ? T : never;

function render({ specs, bom, finalNewline, finalCr }: FileSpec): Rendered {
  const parts: Buffer[] = [];
  const intended: Rendered['intended'] = { entries: [], malformed: [] };
  const first = specs[0]?.line;
  // A first key that starts with U+FEFF would be read as a BOM: give it a real BOM first.
  if (bom || (first?.kind === 'entry' && first.key.startsWith('\uFEFF'))) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  specs.forEach(({ line, crlf }, index) => {
    const last = index === specs.length - 1;
    const terminated = !last || finalNewline;
    if (line.kind === 'entry') {
      const value = !terminated && finalCr ? `${line.value}\r` : line.value;
      parts.push(Buffer.from(line.key + line.separator + value, 'utf8'));
      intended.entries.push([line.key, value]);
    } else if (line.kind === 'blank') {
      parts.push(Buffer.from(line.text));
    } else {
      parts.push(line.bytes);
      intended.malformed.push([index + 1, line.reason]);
    }
    if (terminated) parts.push(Buffer.from(crlf ? '\r\n' : '\n'));
  });
  return { bytes: Buffer.concat(parts), intended };
}

function cutAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const positions = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const position of positions) {
    chunks.push(bytes.subarray(from, position));
    from = position;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe('LineParser: property test against a model of the contract', () => {
  it('the model agrees with how the generator built each line', () => {
    fc.assert(
      fc.property(fileArb, (file) => {
        const { bytes, intended } = render(file);
        const expected = model(bytes);
        expect(expected.entries).toEqual(intended.entries);
        expect(expected.malformed).toEqual(intended.malformed);
      }),
      { numRuns: 300 },
    );
  });

  it('reports what the model reports, for any split into chunks', () => {
    fc.assert(
      fc.property(fileArb, (file) => {
        const { bytes } = render(file);
        const expected = model(bytes);
        expect(outcome(parseChunks([bytes]))).toEqual(expected);
        expect(outcome(parseChunks(cutAt(bytes, file.cuts)))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('reports what the model reports when pushed one byte at a time', () => {
    fc.assert(
      fc.property(fileArb, (file) => {
        const { bytes } = render(file);
        expect(outcome(parse(bytes, 1))).toEqual(model(bytes));
      }),
      { numRuns: 100 },
    );
  });
});
