import fc from 'fast-check';
import type { MalformedReason } from './line-parser.js';
import { outcome, parse, parseChunks, type Parsed } from './line-parser.test-helpers.js';

/** A property test of LineParser against an independent model of the data format (docs/data-format.md). */

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
