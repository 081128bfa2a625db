import type { FileHandle } from 'node:fs/promises';

/**
 * Reads in flight at once. They run in libuv's thread pool, where the kernel also
 * faults in the fresh pages each one copies into: on this project's VMs that, not the
 * parsing, was the largest cost of loading a text file, and it now proceeds on other
 * cores while the chunk before is hashed and parsed.
 */
const READS_AHEAD = 4;

interface Read {
  position: number;
  length: number;
  chunk: Promise<Buffer>;
}

/**
 * A file's chunks, in order, READS_AHEAD read at a time. Each read asks `readTarget`
 * for memory of exactly the bytes the file is expected to hold there (the store's own,
 * so nothing is copied), else uses buffers of its own, reused once the chunk read into
 * one has been passed on and the reads after it issued. Past the size the file had
 * when opened, one read at a time finds the end, or the bytes appended since; a read
 * that comes back short re-issues the reads after it from where it ended (the caller
 * compares what it read with the size, and refuses a file that changed).
 */
export async function* readChunks(
  file: FileHandle,
  size: number,
  readSize: number,
  readTarget?: (length: number) => Buffer | undefined,
): AsyncGenerator<Buffer> {
  const own = Array.from({ length: READS_AHEAD + 1 }, () => Buffer.allocUnsafe(readSize));
  let ownNext = 0;
  const reads: Read[] = [];
  let position = 0;
  const issue = () => {
    const expected = Math.min(readSize, size - position);
    const target = (expected > 0 ? readTarget?.(expected) : undefined) ?? own[ownNext++ % own.length];
    const length = expected > 0 ? Math.min(expected, target.length) : target.length;
    const at = position;
    const chunk = file.read(target, 0, length, at).then(({ bytesRead }) => target.subarray(0, bytesRead));
    // Awaited in turn, or settled in `finally`; a read that fails while an earlier chunk
    // is parsed must not count as unhandled meanwhile (that would end the process).
    chunk.catch(() => undefined);
    reads.push({ position: at, length, chunk });
    position += length;
  };
  try {
    for (;;) {
      while (reads.length < READS_AHEAD && (position < size || reads.length === 0)) issue();
      const read = reads.shift()!;
      const chunk = await read.chunk;
      if (chunk.length === 0) return;
      if (chunk.length < read.length) {
        // The file ended sooner than expected: the reads after this one are of the wrong places.
        await Promise.allSettled(reads.map(({ chunk: later }) => later));
        reads.length = 0;
        position = read.position + chunk.length;
      }
      yield chunk;
    }
  } finally {
    // A consumer that stopped early (a refused chunk): the reads still running end before the file closes.
    await Promise.allSettled(reads.map(({ chunk }) => chunk));
  }
}
