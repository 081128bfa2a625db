#!/usr/bin/env node
// Writes a data file of `<uuid> <a few words>` lines, like the original service's
// example. Deterministic for a given --seed, and fast: a million lines in about a second.
//
//   npm run generate -- --lines 1000000 --out /tmp/1m.data [--seed 42]
//
// data/example.data is a few readable lines written by hand (the docs' examples use
// them), followed by this script's output for --lines 10000 --seed 1.
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = 'usage: npm run generate -- --lines N --out FILE [--seed S]';
const WORDS = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa ' +
  'quebec romeo sierra tango uniform victor whiskey xray yankee zulu amber basalt cedar dune ember fjord ' +
  'granite harbor island jasper kelp lagoon meadow nectar orchid pebble quartz river summit tundra umber ' +
  'valley willow yarrow zephyr'
).split(' ');
const CHUNK_BYTES = 4 * 1024 * 1024;

function main() {
  let options;
  try {
    ({ values: options } = parseArgs({
      options: { lines: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '1' } },
    }));
  } catch (error) {
    fail(`${error.message}\n${USAGE}`);
  }
  const lines = Number(options.lines);
  const seed = Number(options.seed);
  if (!Number.isSafeInteger(lines) || lines < 0) fail(`--lines must be a whole number\n${USAGE}`);
  if (!options.out) fail(`--out is required\n${USAGE}`);
  if (!Number.isSafeInteger(seed)) fail(`--seed must be a whole number\n${USAGE}`);
  return writeFile(options.out, lines, seed);
}

async function writeFile(path, lines, seed) {
  const random = mulberry32(seed);
  const out = createWriteStream(path);
  const startedAt = Date.now();
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let used = 0;
  for (let i = 0; i < lines; i++) {
    if (used > CHUNK_BYTES - 512) {
      if (!out.write(chunk.subarray(0, used))) await new Promise((resolve) => out.once('drain', resolve));
      chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      used = 0;
    }
    used += chunk.write(uuid(random), used, 'latin1');
    const words = 1 + Math.floor(random() * 4);
    for (let w = 0; w < words; w++) {
      chunk[used++] = 0x20;
      used += chunk.write(WORDS[Math.floor(random() * WORDS.length)], used, 'latin1');
    }
    chunk[used++] = 0x0a;
  }
  out.end(chunk.subarray(0, used));
  await new Promise((resolve, reject) => out.on('finish', resolve).on('error', reject));
  process.stderr.write(`wrote ${lines} lines to ${path} in ${Date.now() - startedAt} ms\n`);
}

const HEX = [...Array(256)].map((_, i) => i.toString(16).padStart(2, '0'));

/** A version-4-shaped UUID from the seeded generator. */
function uuid(random) {
  const b = [];
  for (let i = 0; i < 16; i++) b.push(Math.floor(random() * 256));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.map((byte) => HEX[byte]);
  return `${h[0]}${h[1]}${h[2]}${h[3]}-${h[4]}${h[5]}-${h[6]}${h[7]}-${h[8]}${h[9]}-${h.slice(10).join('')}`;
}

/** Small, fast, seedable PRNG (Math.random cannot be seeded). */
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

await main();
