import fc from 'fast-check';
import type { KeyValueStore, StoreBuilder } from '../key-value-store.js';
import { LineParser } from '../line-parser.js';
import { MapStoreBuilder } from '../map-store.js';
import { CompactStoreBuilder } from './compact-store-builder.js';

/**
 * Parses `content` in chunks of the given sizes, as the loader worker does: each chunk
 * is handed to `acceptChunk` (when the builder has it) before the parser reads it.
 */
function parseInChunks(content: Buffer, chunkSizes: readonly number[], builder: StoreBuilder): KeyValueStore {
  const parser = new LineParser(
    (bytes, keyStart, keyEnd, valueEnd) => builder.add(bytes, keyStart, keyEnd, valueEnd),
    () => {},
  );
  // One reused buffer, like the loader's read buffer: nothing may point into it later.
  const readBuffer = Buffer.alloc(Math.max(1, ...chunkSizes));
  for (let offset = 0, i = 0; offset < content.length; i++) {
    const size = Math.min(chunkSizes[i % chunkSizes.length], content.length - offset);
    const chunk = readBuffer.subarray(0, size);
    content.copy(chunk, 0, offset, offset + size);
    if (builder instanceof CompactStoreBuilder) builder.acceptChunk(chunk);
    parser.push(chunk);
    readBuffer.fill(0x58);
    offset += size;
  }
  parser.end();
  return builder.finish();
}

const keyText = fc.constantFrom('a', 'b', 'ab', 'é', '😀', 'k\u0000', 'x'.repeat(30));
const valueText = fc.constantFrom('', 'v', ' spaced ', 'tab\there', 'cr\rinside', 'ends in cr\r', '"q"', 'é😀');
const separator = fc.constantFrom(' ', '\t');
const ending = fc.constantFrom('\n', '\r\n');
/** Lines of a data file, with blank and malformed lines between the entries. */
const line = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(keyText, separator, valueText, ending).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('\n', '  \t\n', 'lonely\n', ' empty-key v\n', '\r\n') },
);
const file = fc
  .tuple(fc.array(line, { maxLength: 60 }), fc.boolean(), fc.constantFrom('', '\ufeff'))
  .map(([lines, dropLastNewline, bom]) => {
    let text = bom + lines.join('');
    // Without its final newline, a value ending in CR keeps the CR.
    if (dropLastNewline) text = text.replace(/\r?\n$/, '');
    return Buffer.from(text, 'utf8');
  });
const chunkSizes = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 });

function expectSameEntries(compact: KeyValueStore, map: KeyValueStore): void {
  const sorted = (store: KeyValueStore) =>
    [...store.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  expect(sorted(compact)).toEqual(sorted(map));
  for (const [key, value] of map.entries()) {
    expect(compact.get(key)).toBe(value);
    expect(compact.getBytes(key)).toEqual(Buffer.from(value));
  }
}

describe('CompactStoreBuilder fed whole chunks (acceptChunk)', () => {
  it('stores what MapStore stores, whatever the chunk and segment sizes', () => {
    fc.assert(
      fc.property(file, chunkSizes, fc.constantFrom(undefined, 16, 64, 256), (content, sizes, segmentSize) => {
        const compact = parseInChunks(content, sizes, new CompactStoreBuilder({ segmentSize }));
        const map = parseInChunks(content, sizes, new MapStoreBuilder());
        expectSameEntries(compact, map);
      }),
      { numRuns: 300 },
    );
  });

  it('rewrites a CRLF ending so the value stops before the CR', () => {
    const store = parseInChunks(Buffer.from('a 1\r\nb 2\r\n'), [64], new CompactStoreBuilder());
    expect(store.get('a')).toBe('1');
    expect(store.getBytes('b')).toEqual(Buffer.from('2'));
  });

  it('counts duplicates across chunks once finished', () => {
    const builder = new CompactStoreBuilder();
    const store = parseInChunks(Buffer.from('a 1\nb 2\na 3\na 4\n'), [5], builder);
    expect(builder.duplicates).toBe(2);
    expect(store.get('a')).toBe('4');
    expect(store.size).toBe(2);
  });

  it('copies a chunk larger than a segment line by line instead', () => {
    const store = parseInChunks(Buffer.from('key value\nk2 v2\n'), [100], new CompactStoreBuilder({ segmentSize: 8 }));
    expect(store.get('key')).toBe('value');
    expect(store.get('k2')).toBe('v2');
  });

  it('rejects a segment size that record offsets cannot address', () => {
    expect(() => new CompactStoreBuilder({ segmentSize: 2 ** 31 + 1 })).toThrow(RangeError);
    expect(() => new CompactStoreBuilder({ segmentSize: 0 })).toThrow(RangeError);
  });
});
