import { outcome, parse } from './line-parser.test-helpers.js';

/** LineParser on lines that break the data format: each malformed reason, and the line numbers it reports. */

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

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
