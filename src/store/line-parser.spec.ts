import { outcome, parse } from './line-parser.test-helpers.js';

/**
 * LineParser on well-formed input: the key and the separator, the value kept byte for
 * byte, line endings, the byte-order mark and blank lines. Malformed lines:
 * line-parser-malformed.spec.ts; chunk boundaries and long lines:
 * line-parser-chunks.spec.ts; a property test against a model of the data format:
 * line-parser-property.spec.ts.
 */

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
