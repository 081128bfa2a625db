import fc from 'fast-check';
import { MapStoreBuilder } from '../map-store.js';
import { CompactStore, type HashedParts } from './compact-store.js';
import { CompactStoreBuilder } from './compact-store-builder.js';

/**
 * A first load hands its store over before the keys are sorted: look-ups from the
 * hashed parts at once, listings once the key order arrives (CompactStore.awaitingKeyOrder).
 * The reference is the Map store built from the same lines.
 */
type Pair = readonly [key: string, value: string];

function add(builder: CompactStoreBuilder | MapStoreBuilder, key: string, value: string): void {
  const line = Buffer.from(`${key} ${value}`, 'utf8');
  builder.add(line, 0, Buffer.byteLength(key), line.length);
}

/** The hashed parts as the loader hands them over, the order the sort then gives, and the Map model. */
function handOver(pairs: readonly Pair[], maxSortScratchBytes?: number) {
  const builder = new CompactStoreBuilder({ sharedMemory: true });
  const model = new MapStoreBuilder();
  for (const [key, value] of pairs) {
    add(builder, key, value);
    add(model, key, value);
  }
  let hashed: HashedParts | undefined;
  const sorted = builder.finish({ onHashIndexBuilt: (parts) => (hashed = parts), maxSortScratchBytes });
  return { hashed: hashed!, order: sorted.toParts().parts.order, model: model.finish() };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const keyChar = fc.constantFrom('a', 'b', 'z', 'é', '€', '\uffff', '😀', '/');
const key = fc
  .tuple(fc.constantFrom('', 'shared/prefix/', 'a'), fc.array(keyChar, { minLength: 1, maxLength: 4 }))
  .map(([prefix, chars]) => prefix + chars.join(''));
const value = fc.oneof(fc.constantFrom('', 'quote"d', 'cr\r', '😀'), fc.string({ maxLength: 8 }));
const pairs = fc.array(fc.tuple(key, value), { maxLength: 80 });

describe('a store awaiting its key order', () => {
  it('answers every look-up at once, and every listing once the order arrives, as the Map store does', async () => {
    await fc.assert(
      fc.asyncProperty(pairs, fc.option(fc.integer({ min: 8, max: 256 })), async (entries, scratch) => {
        const { hashed, order, model } = handOver(entries, scratch ?? undefined);
        const arrival = deferred<Uint32Array>();
        const store = CompactStore.awaitingKeyOrder(hashed, arrival.promise, () => undefined);

        expect(store.size).toBe(model.size);
        for (const [k] of entries) {
          expect(store.get(k)).toBe(model.get(k));
          expect(store.getJsonEntry(k)).toBe(model.getJsonEntry(k));
        }
        expect(store.get('absent')).toBeUndefined();
        expect(store.keyOrderPending).toBeDefined();
        expect(() => store.keysInOrder('', undefined, 10)).toThrow(/key order is not here yet/);

        arrival.resolve(order);
        await store.keyOrderPending;
        expect(store.keyOrderPending).toBeUndefined();
        const modelKeys = [...model.entries()].map(([k]) => k).sort(byUtf8);
        expect(store.keysInOrder('', undefined, 1000)).toEqual(modelKeys);
        expect(store.keysInOrder('shared/', undefined, 1000)).toEqual(modelKeys.filter((k) => k.startsWith('shared/')));
        expect([...store.entries()]).toEqual(modelKeys.map((k) => [k, model.get(k)]));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps answering look-ups when the order never comes, and its listings stay refused', async () => {
    const { hashed } = handOver([
      ['a', '1'],
      ['b', '2'],
    ]);
    const arrival = deferred<Uint32Array>();
    const store = CompactStore.awaitingKeyOrder(hashed, arrival.promise, () => undefined);
    arrival.reject(new Error('the sort failed'));
    await expect(store.keyOrderPending).rejects.toThrow('the sort failed');
    expect(store.get('b')).toBe('2');
    expect(() => store.keysInOrder('', undefined, 10)).toThrow(/key order is not here yet/);
  });

  it('refuses an order that does not have one id per key', async () => {
    const { hashed, order } = handOver([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
    ]);
    const store = CompactStore.awaitingKeyOrder(hashed, Promise.resolve(order.subarray(1)), () => undefined);
    await expect(store.keyOrderPending).rejects.toThrow('The key order has 1 keys, not 2');
  });

  it('stops the sort when released before the order arrives, and not after', async () => {
    const { hashed } = handOver([['a', '1']]);
    let stops = 0;
    const pending = CompactStore.awaitingKeyOrder(hashed, new Promise(() => undefined), () => stops++);
    pending.release();
    expect(stops).toBe(1);

    const again = handOver([['a', '1']]);
    const arrived = CompactStore.awaitingKeyOrder(again.hashed, Promise.resolve(again.order), () => stops++);
    await arrived.keyOrderPending;
    arrived.release();
    expect(stops).toBe(1);
  });

  it('keeps its records in memory that another thread can read while this one sorts', () => {
    const { hashed } = handOver([['k', 'v']]);
    expect(hashed.segments[0].buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(hashed.recordOffsets.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
