import type { KeyValueStore, StoreBuilder } from './key-value-store.js';

/** The simplest engine: a JavaScript `Map` of strings. */
export class MapStore implements KeyValueStore {
  constructor(private readonly map: ReadonlyMap<string, string>) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
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
