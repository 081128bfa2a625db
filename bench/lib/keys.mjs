// The keys a load generator asks for: keys of the data file mixed with a share of keys
// that are not in it, so that 404s (the original's "misses") are part of every run.
import { randomUUID } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, sampleKeys } from './server.mjs';

/**
 * Up to `count` keys of `dataFile`, with `missRatio` of the list replaced by random UUIDs
 * (the data's key shape, so a miss costs the server what a hit does up to the look-up).
 * Shuffled, so a generator that walks the list in order still mixes hits and misses.
 */
export function lookupKeys(dataFile, missRatio = 0.1, count = 10_000) {
  const hits = sampleKeys(dataFile, count);
  if (hits.length === 0) throw new Error(`${dataFile} has no keys`);
  const misses = Math.round((hits.length * missRatio) / (1 - Math.min(missRatio, 0.99)));
  const keys = [...hits, ...Array.from({ length: misses }, () => randomUUID())];
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  return keys;
}

/** Writes `keys` one per line for wrk's Lua script, and returns the file's path. */
export function writeKeysFile(keys, name = 'keys.txt') {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = join(CACHE_DIR, `${process.pid}-${name}`);
  writeFileSync(path, keys.join('\n') + '\n');
  return path;
}
