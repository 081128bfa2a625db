/**
 * The hashing thread of a text load (see file-sha256.ts): the SHA-256 of the first
 * `size` bytes of an open file, read through its descriptor, so the bytes are the
 * file the loader opened even if another was renamed over its path since.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { Sha256Reply, Sha256Request } from './file-sha256.js';

const PIECE_BYTES = 8 * 1024 * 1024;

function hashFile({ fd, size }: Sha256Request): Sha256Reply {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(Math.min(PIECE_BYTES, Math.max(size, 1)));
  let position = 0;
  try {
    while (position < size) {
      // Synchronous: this thread does nothing else, and the reads come from the page cache.
      const bytesRead = readSync(fd, piece, 0, Math.min(piece.length, size - position), position);
      if (bytesRead === 0) break;
      hash.update(piece.subarray(0, bytesRead));
      position += bytesRead;
    }
    return { ok: true, sha256: hash.digest('hex'), bytes: position };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

parentPort!.postMessage(hashFile(workerData as Sha256Request));
