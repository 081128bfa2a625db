import fc from 'fast-check';
import type { KeyValueStore } from '../key-value-store.js';
import { MapStoreBuilder } from '../map-store.js';
import { CompactStore, type HashedParts } from './compact-store.js';
import { CompactStoreBuilder, type CompactStoreOptions } from './compact-store-builder.js';
import type { KeyHash } from './key-hash.js';

type Pair = readonly [key: string, value: string];

/** Adds the pair the way the parser hands it over: byte ranges of a line with a separator. */
function add(builder: CompactStoreBuilder | MapStoreBuilder, key: string, value: string): void {
  const line = Buffer.from(`${key} ${value}`, 'utf8');
  builder.add(line, 0, Buffer.byteLength(key), line.length);
}

/** The two orders `finish` can build the indexes in: sort first (the server), hash index first (`kv-server build`). */
type FinishOrder = 'sort first' | 'hash index first';
let finishOrder: FinishOrder = 'sort first';

function buildBoth(pairs: readonly Pair[], options: CompactStoreOptions = {}) {
  const compactBuilder = new CompactStoreBuilder(options);
  const mapBuilder = new MapStoreBuilder();
  for (const [key, value] of pairs) {
    add(compactBuilder, key, value);
    add(mapBuilder, key, value);
  }
  const compact = compactBuilder.finish(finishOrder === 'sort first' ? {} : { onHashIndexBuilt: () => {} });
  return { compact, map: mapBuilder.finish(), duplicates: compactBuilder.duplicates };
}

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Characters whose UTF-8 order differs from their UTF-16 order (U+FFFF vs 😀), NUL, and multi-byte ones. */
const keyChar = fc.constantFrom('a', 'b', 'z', '\u0000', 'é', '€', '\uffff', '😀', '𝄞', '/');
/** Keys that are prefixes of one another, and long shared prefixes that the sort must look past. */
const key = fc
  .tuple(
    fc.constantFrom('', '', 'shared/prefix/0123456789/', 'a'.repeat(17)),
    fc.array(keyChar, { minLength: 1, maxLength: 5 }),
  )
  .map(([prefix, chars]) => prefix + chars.join(''));
/** Values: empty, needing JSON escapes or not, with tabs, CR and U+2028 (never LF: a value is one line). */
const value = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'plain',
    ' padded\t',
    'quote"d',
    'back\\slash',
    'ctrl\u0001',
    'cr\r',
    'ls\u2028ps\u2029',
    '😀€',
  ),
  fc.string({ unit: 'grapheme', maxLength: 12 }).map((text) => text.replace(/\n/g, '')),
);
const pairs = fc.array(fc.tuple(key, value), { maxLength: 120 });

/** What every read returns, bytes as hex, so one `toEqual` compares two stores quickly. */
function reads(store: KeyValueStore, keys: readonly string[]) {
  const hex = (bytes: Buffer | string | undefined) =>
    bytes === undefined ? undefined : Buffer.from(bytes).toString('hex');
  return keys.map((k) => [k, store.get(k), hex(store.getBytes(k)), hex(store.getJsonEntry(k))]);
}

/** Every read of `compact` matches `map`'s, byte for byte. */
function expectSameStore(compact: KeyValueStore, map: KeyValueStore, probes: readonly string[] = []): void {
  const model = new Map(map.entries());
  expect(compact.size).toBe(model.size);
  const keys = [...model.keys(), ...probes];
  expect(reads(compact, keys)).toEqual(reads(map, keys));
  const sortedKeys = [...model.keys()].sort(byUtf8);
  expect([...compact.entries()]).toEqual(sortedKeys.map((k) => [k, model.get(k)]));
}

describe.each<FinishOrder>(['sort first', 'hash index first'])(
  'CompactStore against MapStore, %s (property)',
  (order) => {
    beforeAll(() => {
      finishOrder = order;
    });
    afterAll(() => {
      finishOrder = 'sort first';
    });

    it('answers every look-up and lists entries in UTF-8 byte order', () => {
      fc.assert(
        fc.property(pairs, fc.array(key, { maxLength: 5 }), (entries, probes) => {
          const { compact, map, duplicates } = buildBoth(entries);
          expect(duplicates).toBe(entries.length - new Set(entries.map(([k]) => k)).size);
          expectSameStore(compact, map, probes);
        }),
      );
    });

    it('lists keys by prefix and after like MapStore', () => {
      const fragment = fc.oneof(
        key,
        key.map((k) => k.slice(0, k.length >> 1)),
        fc.constant(''),
      );
      fc.assert(
        fc.property(
          pairs,
          fragment,
          fc.option(fragment, { nil: undefined }),
          fc.nat(12),
          (entries, prefix, after, limit) => {
            const { compact, map } = buildBoth(entries);
            expect(compact.keysInOrder(prefix, after, limit)).toEqual(map.keysInOrder(prefix, after, limit));
          },
        ),
      );
    });

    it('pages through every key with a prefix exactly once', () => {
      fc.assert(
        fc.property(
          pairs,
          fc.constantFrom('', 'a', 'shared/', '😀', 'a'.repeat(17)),
          fc.integer({ min: 1, max: 7 }),
          (entries, prefix, limit) => {
            const { compact, map } = buildBoth(entries);
            const paged: string[] = [];
            for (let after: string | undefined; ;) {
              const page = compact.keysInOrder(prefix, after, limit);
              paged.push(...page);
              if (page.length < limit) break;
              after = page[page.length - 1];
            }
            expect(paged).toEqual(map.keysInOrder(prefix, undefined, Number.MAX_SAFE_INTEGER));
          },
        ),
      );
    });

    const collidingHashes: Array<[string, KeyHash]> = [
      ['one hash for every key', () => 0x9e3779b9],
      ['a hash of the key length only', (_bytes, start, end) => (end - start) & 3],
    ];
    it.each(collidingHashes)('stays correct with %s (forced collisions)', (_name, hash) => {
      fc.assert(
        fc.property(pairs, fc.array(key, { maxLength: 5 }), (entries, probes) => {
          const { compact, map } = buildBoth(entries, { hash });
          expectSameStore(compact, map, probes);
        }),
        { numRuns: 40 },
      );
    });

    it('resolves records spread over many small segments', () => {
      fc.assert(
        fc.property(pairs, fc.integer({ min: 1, max: 64 }), (entries, segmentSize) => {
          const { compact, map } = buildBoth(entries, { segmentSize });
          expectSameStore(compact, map);
        }),
        { numRuns: 40 },
      );
    });
  },
);

describe('CompactStore', () => {
  it('hands over every part but the key order, with the count of distinct keys, before it sorts', () => {
    fc.assert(
      fc.property(pairs, (entries) => {
        const builder = new CompactStoreBuilder();
        for (const [k, v] of entries) add(builder, k, v);
        let handedOver: HashedParts | undefined;
        const store = builder.finish({ onHashIndexBuilt: (parts) => (handedOver = parts) });
        expect(handedOver!.keys).toBe(new Set(entries.map(([k]) => k)).size);
        const { order, ...parts } = store.toParts().parts;
        const { keys, ...handedParts } = handedOver!;
        expect(keys).toBe(order.length);
        expect(handedParts).toEqual(parts);
      }),
      { numRuns: 40 },
    );
  });

  it('sorts large runs of keys that share long prefixes, including keys differing in trailing NULs', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `user:${String((i * 7919) % 3000).padStart(6, '0')}`);
    keys.push('user:', 'user:\u0000', 'user:\u0000\u0000', 'u', 'user:000001\u0000');
    const { compact, map } = buildBoth(keys.map((k, i) => [k, String(i)]));
    expectSameStore(compact, map);
  });

  it('returns value bytes that outlive the store, and frees its memory on release', () => {
    const { compact } = buildBoth([
      ['k', 'value'],
      ['other', 'x'.repeat(10_000)],
    ]);
    const bytes = compact.getBytes('k')!;
    const { transferList } = compact.toParts();
    const sizeBefore = transferList.reduce((sum, buffer) => sum + buffer.byteLength, 0);
    expect(sizeBefore).toBeGreaterThan(10_000);
    compact.release();
    expect(bytes.toString()).toBe('value');
    // ArrayBuffer.prototype.transfer (Node 22+) detaches each buffer: its memory is gone at once.
    const sizeAfter = transferList.reduce((sum, buffer) => sum + buffer.byteLength, 0);
    expect(sizeAfter).toBe('transfer' in ArrayBuffer.prototype ? 0 : sizeBefore);
  });

  it('builds every JSON body as JSON.stringify does, whatever the value holds (property)', () => {
    // Every control character, the two escaped ASCII ones, and neighbours that must stay as they are.
    const escapeChar = fc.constantFrom(
      ...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).filter((c) => c !== '\n'),
      '"',
      '\\',
      '/',
      ' ',
      '\u007f',
      '\u2028',
      'é',
      '😀',
      'x',
    );
    const escapeValue = fc.array(escapeChar, { maxLength: 8 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.oneof(value, escapeValue)), { maxLength: 60 }), (entries) => {
        const { compact, map } = buildBoth(entries);
        expectSameStore(compact, map);
      }),
    );
  });

  it('builds the JSON body around the stored value, and with JSON.stringify when the value needs escapes', () => {
    const { compact } = buildBoth([
      ['plain', 'caf\u00e9 \u2028'],
      ['quoted', 'say "hi"'],
    ]);
    expect(compact.getJsonEntry('plain')).toBe('{"plain":"caf\u00e9 \u2028"}');
    expect(compact.getJsonEntry('quoted')).toBe('{"quoted":"say \\"hi\\""}');
  });

  it('finds nothing for a key holding a separator, even when every hash collides', () => {
    const { compact } = buildBoth([['k', 'v w']], { hash: () => 1 });
    expect(compact.get('k v')).toBeUndefined();
    expect(compact.get('k\tv')).toBeUndefined();
    expect(compact.keysInOrder('k ', undefined, 10)).toEqual([]);
    expect(compact.keysInOrder('', 'k v', 10)).toEqual([]);
  });

  it('finds nothing for a string with a lone surrogate (it encodes as U+FFFD)', () => {
    const { compact } = buildBoth([['\ufffd', 'replacement']]);
    expect(compact.get('\ud800')).toBeUndefined();
    expect(compact.get('\ufffd')).toBe('replacement');
  });

  it('is empty when nothing was added', () => {
    const { compact } = buildBoth([]);
    expect(compact.size).toBe(0);
    expect(compact.get('a')).toBeUndefined();
    expect([...compact.entries()]).toEqual([]);
    expect(compact.keysInOrder('', undefined, 10)).toEqual([]);
  });

  it('can be rebuilt from its transferable parts', () => {
    const { compact, map } = buildBoth([
      ['b', '2'],
      ['a', '1'],
    ]);
    const { parts, transferList } = compact.toParts();
    const moved = structuredClone(parts, { transfer: transferList });
    // Transferred, not copied: the originals are detached.
    expect(transferList.map((buffer) => buffer.byteLength)).toEqual(transferList.map(() => 0));
    expectSameStore(new CompactStore(moved), map);
  });

  it('refuses to be added to after finish()', () => {
    const builder = new CompactStoreBuilder();
    builder.finish();
    expect(() => add(builder, 'k', 'v')).toThrow(/after finish/);
  });
});
