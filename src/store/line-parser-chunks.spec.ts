import { outcome, parse, parseChunks } from './line-parser.test-helpers.js';

/** LineParser across chunk boundaries (every rule, split at every offset) and on long lines. */

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
