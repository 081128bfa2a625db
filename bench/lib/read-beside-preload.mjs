// Preloaded into a server (NODE_OPTIONS=--import) by bench/snapshots.mjs for the yardstick
// "start beside its own read": a worker thread of the server's own process reads the file
// KV_BENCH_READ_BESIDE into memory while the server starts, as a snapshot load would that
// did nothing but read (no checksums, no store). The main thread keeps the bytes, as it
// would keep a store, and writes when the read finished to KV_BENCH_READ_DONE, in
// milliseconds since this process started (performance.now()).
import { renameSync, writeFileSync } from 'node:fs';
import { isMainThread, Worker } from 'node:worker_threads';

const file = process.env.KV_BENCH_READ_BESIDE;
const done = process.env.KV_BENCH_READ_DONE;
// NODE_OPTIONS reaches the server's own loader worker too: only the main thread reads.
if (isMainThread && file && done) {
  const reader = `
    const { parentPort, workerData } = require('node:worker_threads');
    const bytes = require('node:fs').readFileSync(workerData);
    parentPort.postMessage(bytes.buffer, [bytes.buffer]);`;
  const worker = new Worker(reader, { eval: true, workerData: file });
  worker.once('message', (buffer) => {
    globalThis.readBesideBytes = buffer;
    // Renamed into place: whoever waits for the file never reads it half written.
    writeFileSync(`${done}.tmp`, String(performance.now()));
    renameSync(`${done}.tmp`, done);
  });
  worker.once('error', (error) => {
    process.stderr.write(`read beside: ${error.message}\n`);
    process.exit(1);
  });
}
