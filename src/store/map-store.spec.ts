import fc from 'fast-check';
import type { KeyValueStore } from './key-value-store.js';
import { MapStore, MapStoreBuilder } from './map-store.js';

/** Adds `key` and `value` the way the parser hands them over: byte ranges of a line with a separator. */
function add(builder: MapStoreBuilder, key: string, value: string, separator = ' '): void {
  const line = Buffer.from(`${key}${separator}${value}`, 'utf8');
  const keyEnd = Buffer.byteLength(key, 'utf8');
  builder.add(line, 0, keyEnd, line.length);
}

function build(pairs: ReadonlyArray<readonly [string, string]>): { store: KeyValueStore; duplicates: number } {
  const builder = new MapStoreBuilder();
  for (const [key, value] of pairs) add(builder, key, value);
  return { store: builder.finish(), duplicates: builder.duplicates };
}

describe('MapStoreBuilder', () => {
  it('stores an entry and finds it', () => {
    const { store, duplicates } = build([['k', 'v']]);
    expect(store.get('k')).toBe('v');
    expect(store.size).toBe(1);
    expect(duplicates).toBe(0);
  });

  it('reads only the byte ranges it is given', () => {
    const builder = new MapStoreBuilder();
    const bytes = Buffer.from('xx\nkey\tvalue\r\nyy', 'utf8');
    builder.add(bytes, 3, 6, 12);
    const store = builder.finish();
    expect([...store.entries()]).toEqual([['key', 'value']]);
  });

  it('decodes multi-byte UTF-8 in keys and values', () => {
    const { store } = build([
      ['日本', '語 €'],
      ['😀', ''],
    ]);
    expect(store.get('日本')).toBe('語 €');
    expect(store.get('😀')).toBe('');
  });

  it('copies the bytes: reusing the buffer afterwards does not change the store', () => {
    const builder = new MapStoreBuilder();
    const bytes = Buffer.from('k v', 'utf8');
    builder.add(bytes, 0, 1, 3);
    bytes.fill(0x41);
    expect(builder.finish().get('k')).toBe('v');
  });

  it('keeps values byte for byte, including spaces, tabs and \\r', () => {
    const { store } = build([['k', ' \t v\r \t']]);
    expect(store.get('k')).toBe(' \t v\r \t');
  });

  it('lets the later duplicate win', () => {
    const { store } = build([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
    ]);
    expect(store.get('a')).toBe('3');
    expect(store.get('b')).toBe('2');
  });

  it('lets a later empty value override an earlier one', () => {
    expect(
      build([
        ['a', '1'],
        ['a', ''],
      ]).store.get('a'),
    ).toBe('');
  });

  it('counts every overridden line', () => {
    const { store, duplicates } = build([
      ['a', '1'],
      ['a', '2'],
      ['b', '1'],
      ['a', '3'],
      ['b', '2'],
      ['c', '1'],
    ]);
    expect(duplicates).toBe(3);
    expect(store.size).toBe(3);
  });

  it('counts a duplicate with the same value too', () => {
    expect(
      build([
        ['a', '1'],
        ['a', '1'],
      ]).duplicates,
    ).toBe(1);
  });

  it('tells keys apart that differ only by an invisible character', () => {
    const { store, duplicates } = build([
      ['k', '1'],
      ['\uFEFFk', '2'],
      ['k\u200B', '3'],
    ]);
    expect(duplicates).toBe(0);
    expect(store.size).toBe(3);
    expect(store.get('k')).toBe('1');
  });

  it('builds an empty store', () => {
    const { store, duplicates } = build([]);
    expect(store.size).toBe(0);
    expect(duplicates).toBe(0);
    expect([...store.entries()]).toEqual([]);
  });
});

describe('MapStore', () => {
  it('returns undefined for a missing key, and the empty string for an empty value', () => {
    const { store } = build([['e', '']]);
    expect(store.get('missing')).toBeUndefined();
    expect(store.get('e')).toBe('');
    expect(store.get('')).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'treats %p as an ordinary key',
    (key) => {
      const { store } = build([['other', 'x']]);
      expect(store.get(key)).toBeUndefined();
      const { store: withKey } = build([[key, 'v']]);
      expect(withKey.get(key)).toBe('v');
      expect(withKey.size).toBe(1);
    },
  );

  it('yields every key exactly once from entries(), with its final value', () => {
    const { store } = build([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['c', '4'],
      ['b', '5'],
    ]);
    const entries = [...store.entries()];
    expect(entries).toHaveLength(3);
    expect(new Map(entries)).toEqual(
      new Map([
        ['a', '3'],
        ['b', '5'],
        ['c', '4'],
      ]),
    );
  });

  it('can be iterated more than once', () => {
    const { store } = build([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect([...store.entries()]).toEqual([...store.entries()]);
    expect([...store.entries()]).toHaveLength(2);
  });

  it('wraps a given map', () => {
    const store = new MapStore(
      new Map([
        ['x', '1'],
        ['y', '2'],
      ]),
    );
    expect(store.size).toBe(2);
    expect(store.get('y')).toBe('2');
    expect(store.get('z')).toBeUndefined();
  });
});

describe('MapStore: property test against a plain Map', () => {
  const keyArb = fc.constantFrom('a', 'b', 'c', 'é', '日本', '😀', '\uFEFFa', 'a\u200B', '__proto__');
  const valueArb = fc.string({ unit: 'binary', maxLength: 12 });

  it('agrees with a Map on size, get, entries and the duplicate count', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 50 }), keyArb, (pairs, probe) => {
        const expected = new Map<string, string>();
        let overridden = 0;
        for (const [key, value] of pairs) {
          if (expected.has(key)) overridden++;
          expected.set(key, value);
        }
        const { store, duplicates } = build(pairs);
        expect(store.size).toBe(expected.size);
        expect(duplicates).toBe(overridden);
        expect(store.get(probe)).toBe(expected.get(probe));
        for (const [key, value] of expected) expect(store.get(key)).toBe(value);
        const entries = [...store.entries()];
        expect(entries).toHaveLength(expected.size);
        expect(new Map(entries)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
