import fc from 'fast-check';
import { entityTag, ifNoneMatchMatches, successCacheControl } from './http-caching.js';

describe('entityTag', () => {
  // That a tag depends on the content only (no seed, no process state) is what the fixed
  // tags below and the two replicas of test/caching.e2e-spec.ts show.
  it('is a quoted 64-bit hex tag', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (body) => {
        expect(entityTag(body)).toMatch(/^"[0-9a-f]{16}"$/);
      }),
    );
  });

  it('hashes a string by its characters and bytes by their values: ASCII gives the same tag both ways', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii' }), (body) => {
        expect(entityTag(Buffer.from(body, 'latin1'))).toBe(entityTag(body));
      }),
    );
  });

  it('changes when any one character of the body changes, is inserted or is removed', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
        (body, at, unit) => {
          const index = at % body.length;
          const replaced = body.slice(0, index) + unit + body.slice(index + 1);
          const inserted = body.slice(0, index) + unit + body.slice(index);
          const removed = body.slice(0, index) + body.slice(index + 1);
          if (replaced !== body) expect(entityTag(replaced)).not.toBe(entityTag(body));
          expect(entityTag(inserted)).not.toBe(entityTag(body));
          expect(entityTag(removed)).not.toBe(entityTag(body));
        },
      ),
    );
  });

  it('gives 100,000 look-up bodies that differ by one counter 100,000 different tags', () => {
    const tags = new Set<string>();
    for (let i = 0; i < 100_000; i++) tags.add(entityTag(`{"key-${i}":"value"}`));
    expect(tags.size).toBe(100_000);
  });

  it('is stable across versions: a replica on a new release keeps the tags clients hold', () => {
    expect(entityTag('{"alpha":"1"}')).toBe(entityTag(Buffer.from('{"alpha":"1"}')));
    expect([entityTag(''), entityTag('1'), entityTag('{"alpha":"1"}')]).toEqual([
      '"488bdcb81aee8d83"',
      '"ed2546d8e4fa6648"',
      '"fd65cf277ce5f1fa"',
    ]);
  });
});

describe('ifNoneMatchMatches', () => {
  const etag = '"abc"';
  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['*', true],
    [' "x", "abc" ', true],
    ['"x", W/"abc"', true],
    ['"abcd"', false],
    ['"x", "y"', false],
    ['abc', false],
  ])('If-None-Match %s matches: %s', (header, expected) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(expected);
  });
});

describe('successCacheControl', () => {
  it('caches for KV_CACHE_MAX_AGE seconds, or asks for revalidation when it is 0', () => {
    expect(successCacheControl(60)).toBe('public, max-age=60');
    expect(successCacheControl(0)).toBe('no-cache');
  });
});
