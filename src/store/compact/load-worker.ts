/**
 * The loader worker: reads, parses and indexes a data file off the main thread, then
 * transfers the store's memory to it. Started by loadDatasetInWorker; mirrors
 * loadDataset step for step so the errors and the summary come out the same.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { LineParser } from '../line-parser.js';
import {
  assertRegularFile,
  DatasetLoadError,
  DEFAULT_READ_SIZE,
  describeFsError,
  describeMalformed,
  MALFORMED_SAMPLE_LIMIT,
  openForReading,
  VERSION_HEX_DIGITS,
  type MalformedLine,
} from '../load-dataset.js';
import { CompactStoreBuilder } from './compact-store-builder.js';
import type { LoadRequest, WorkerMessage } from './worker-messages.js';

async function load(request: LoadRequest): Promise<{ message: WorkerMessage; transferList: ArrayBuffer[] }> {
  const { path } = request;
  const startedAt = performance.now();
  await assertRegularFile(path);

  const malformedSamples: MalformedLine[] = [];
  let malformedCount = 0;
  let builder: CompactStoreBuilder | undefined;
  const parser = new LineParser(
    (bytes, keyStart, keyEnd, valueEnd) => builder!.add(bytes, keyStart, keyEnd, valueEnd),
    (line, reason) => {
      malformedCount++;
      if (malformedSamples.length < MALFORMED_SAMPLE_LIMIT) malformedSamples.push({ line, reason });
    },
  );

  const hash = createHash('sha256');
  let bytes = 0;
  const file = await openForReading(path);
  try {
    const totalBytes = (await file.stat()).size;
    builder = new CompactStoreBuilder({ expectedBytes: totalBytes, segmentSize: request.segmentSize });
    const buffer = Buffer.allocUnsafe(request.readSize ?? DEFAULT_READ_SIZE);
    let reportedAt = startedAt;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      builder.acceptChunk(chunk);
      parser.push(chunk);
      bytes += bytesRead;
      const now = performance.now();
      if (now - reportedAt >= request.progressIntervalMs) {
        reportedAt = now;
        const elapsedMs = Math.round(now - startedAt);
        post({ type: 'progress', bytes, totalBytes, lines: parser.lines, elapsedMs });
      }
    }
    parser.end();
  } catch (error) {
    throw new DatasetLoadError(`Cannot read data file "${path}": ${describeFsError(error)}.`);
  } finally {
    await file.close();
  }

  if (malformedCount > 0 && request.onMalformed === 'fail') {
    throw new DatasetLoadError(describeMalformed(path, malformedCount, malformedSamples));
  }

  const { parts, transferList } = builder.finish().toParts();
  const summary = {
    version: hash.digest('hex').slice(0, VERSION_HEX_DIGITS),
    bytes,
    lines: parser.lines,
    duplicatesOverridden: builder.duplicates,
    malformedSkipped: malformedCount,
  };
  return { message: { type: 'loaded', parts, summary, malformedSamples }, transferList };
}

function post(message: WorkerMessage, transferList: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transferList);
}

load(workerData as LoadRequest).then(
  ({ message, transferList }) => post(message, transferList),
  (error: unknown) => {
    const datasetError = error instanceof DatasetLoadError;
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error), datasetError });
  },
);
