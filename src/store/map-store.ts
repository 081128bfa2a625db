import { compareUtf8, type KeyValueStore, type StoreBuilder } from './key-value-store.js';

/** The simplest engine: a JavaScript `Map` of strings. */
export class MapStore implements KeyValueStore {
  private sortedKeys: Buffer[] | undefined;

  constructor(private readonly map: ReadonlyMap<string, string>) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  getBytes(key: string): Buffer | undefined {
    const value = this.map.get(key);
    return value === undefined ? undefined : Buffer.from(value, 'utf8');
  }

  getJsonEntry(key: string): string | undefined {
    const value = this.map.get(key);
    return value === undefined ? undefined : `{${JSON.stringify(key)}:${JSON.stringify(value)}}`;
  }

  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }

  keysInOrder(prefix: string, after: string | undefined, limit: number): string[] {
    // Sorted on first use: a dataset that is never listed never pays for it.
    this.sortedKeys ??= [...this.map.keys()].map((key) => Buffer.from(key, 'utf8')).sort(Buffer.compare);
    const keys = this.sortedKeys;
    const prefixBytes = Buffer.from(prefix, 'utf8');
    const start = after !== undefined && compareUtf8(after, prefix) >= 0 ? Buffer.from(after, 'utf8') : prefixBytes;
    const inclusive = start === prefixBytes;
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = Buffer.compare(keys[middle], start);
      if (order < 0 || (order === 0 && !inclusive)) low = middle + 1;
      else high = middle;
    }
    const result: string[] = [];
    for (let i = low; i < keys.length && result.length < limit; i++) {
      const key = keys[i];
      if (
        key.length < prefixBytes.length ||
        key.compare(prefixBytes, 0, prefixBytes.length, 0, prefixBytes.length) !== 0
      )
        break;
      result.push(key.toString('utf8'));
    }
    return result;
  }
}

export class MapStoreBuilder implements StoreBuilder {
  private readonly map = new Map<string, string>();
  private overridden = 0;

  get duplicates(): number {
    return this.overridden;
  }

  add(bytes: Buffer, keyStart: number, keyEnd: number, valueEnd: number): void {
    const key = bytes.toString('utf8', keyStart, keyEnd);
    if (this.map.has(key)) this.overridden++;
    this.map.set(key, bytes.toString('utf8', keyEnd + 1, valueEnd));
  }

  finish(): KeyValueStore {
    return new MapStore(this.map);
  }
}
