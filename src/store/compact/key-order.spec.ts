import fc from 'fast-check';
import { sortEntriesByKey } from './key-order.js';
import { RecordCursor } from './record-cursor.js';

/** Records for `keys` (entry id = index) in one segment, laid out as the builder does. */
function recordsOf(keys: readonly string[]): RecordCursor {
  const offsets: number[] = [];
  const lines: Buffer[] = [];
  let offset = 0;
  for (const key of keys) {
    const line = Buffer.from(`${key} value\n`, 'utf8');
    offsets.push(offset);
    lines.push(line);
    offset += line.length;
  }
  return new RecordCursor([Buffer.concat(lines)], Uint32Array.of(0), Uint32Array.from(offsets));
}

function commonPrefixLength(keys: readonly string[]): number {
  const bytes = keys.map((key) => Buffer.from(key, 'utf8'));
  let length = Math.min(...bytes.map((key) => key.length));
  for (const key of bytes) {
    let i = 0;
    while (i < length && key[i] === bytes[0][i]) i++;
    length = i;
  }
  return length;
}

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const keyChar = fc.constantFrom('a', 'b', '0', '1', '\u0000', 'é', '\uffff', '😀');
const key = fc
  .tuple(
    fc.constantFrom('', 'p', 'prefix/that/is/longer/than/eight/bytes/'),
    fc.array(keyChar, { minLength: 1, maxLength: 12 }),
  )
  .map(([prefix, chars]) => prefix + chars.join(''));

/** The expected order: each distinct key once, as its last entry id. */
function modelOrder(keys: readonly string[]): number[] {
  const lastId = new Map(keys.map((key, id) => [key, id]));
  return [...lastId.keys()].sort(byUtf8).map((key) => lastId.get(key)!);
}

function sortKeys(keys: readonly string[], prefix: number, maxGroup?: number) {
  // Scratch as small as the hash table the builder lends: about 5 bytes per entry.
  const scratch = new ArrayBuffer(8 * Math.ceil((keys.length * 2) / 3));
  return sortEntriesByKey(recordsOf(keys), prefix, new Uint32Array(keys.length), scratch, maxGroup);
}

describe('sortEntriesByKey', () => {
  it('orders distinct keys by UTF-8 bytes, keeping the last of equal ones, in any number of groups', () => {
    fc.assert(
      fc.property(
        fc.array(key, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(),
        (keys, maxGroup, prefixChoice) => {
          // Any length up to the true common prefix is a valid hint.
          const prefix = prefixChoice % (commonPrefixLength(keys) + 1);
          const { order, replaced, duplicates } = sortKeys(keys, prefix, maxGroup);
          const expected = modelOrder(keys);
          expect(Array.from(order)).toEqual(expected);
          expect(duplicates).toBe(keys.length - expected.length);
          const live = new Set(expected);
          keys.forEach((_, id) => expect((replaced[id >>> 3] >> (id & 7)) & 1).toBe(live.has(id) ? 0 : 1));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sorts thousands of keys that tie on their first bytes, with many duplicates', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `${'same'.repeat(5)}${(i * 7919) % 1500}`);
    keys.push(...Array.from({ length: 40 }, () => 'same'));
    expect(Array.from(sortKeys(keys, 0, 100).order)).toEqual(modelOrder(keys));
  });
});
