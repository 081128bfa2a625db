/**
 * The checksum over each snapshot section, as its format version defines it: XXH64
 * (seed 0) from version 2, CRC-32 in version 1, which this release still reads.
 *
 * Why XXH64, and from hash-wasm: verifying the checksums is most of a snapshot load's
 * CPU. Node's own CRC-32 (zlib's, without its SIMD path) runs at about 2.3 GB/s here, so
 * the 10M-key snapshot's 1.3 GB cost 570 ms of checksumming against 320 ms to read the
 * file; hash-wasm's XXH64 runs at about 6.5 GB/s (and SHA-256 or MD5 from OpenSSL at
 * 0.8-1.2 GB/s). Like CRC-32 it detects accidental damage, not a forgery.
 */
import { createXXHash64, type IHasher } from 'hash-wasm';
import { crc32 } from 'node:zlib';
import type { FormatTraits } from './snapshot-format.js';

/** The checksum of one section at a time, fed its bytes in order. */
export interface SectionChecksum {
  /** Starts over, for the next section. */
  start(): void;
  update(bytes: Uint8Array): void;
  /** The checksum of the bytes since start(), as the section table holds it (a u64 there). */
  finish(): bigint;
}

/** The named checksum, as formatTraits gives it (the XXH64 hasher is a WebAssembly instance: made once per load). */
export async function sectionChecksum(algorithm: FormatTraits['sectionChecksum']): Promise<SectionChecksum> {
  return algorithm === 'xxh64' ? xxh64(await createXXHash64()) : crc32Checksum();
}

function xxh64(hasher: IHasher): SectionChecksum {
  hasher.init();
  return {
    start: () => hasher.init(),
    update: (bytes) => hasher.update(bytes),
    finish: () => BigInt(`0x${hasher.digest('hex')}`),
  };
}

function crc32Checksum(): SectionChecksum {
  let value = 0;
  return {
    start: () => (value = 0),
    update: (bytes) => (value = crc32(bytes, value)),
    finish: () => BigInt(value),
  };
}
