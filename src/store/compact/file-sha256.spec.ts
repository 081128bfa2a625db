import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PARALLEL_HASH_MIN_BYTES } from '../load-dataset.js';
import { buildCompactStoreFromText } from './build-from-text.js';
import { sha256InWorker } from './file-sha256.js';

/** The hashing thread of a text load, against node:crypto over the same bytes. */
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-file-sha256-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('sha256InWorker', () => {
  it('hashes the first `size` bytes of an open file', async () => {
    const path = join(dir, 'small.txt');
    const content = Buffer.from('alpha 1\nbéta 2\n'.repeat(1000));
    await writeFile(path, content);
    const file = await open(path);
    try {
      expect(await sha256InWorker(file.fd, content.length).digest).toMatchObject({
        sha256: sha256Of(content),
        bytes: content.length,
      });
      expect((await sha256InWorker(file.fd, 8).digest).sha256).toBe(sha256Of(content.subarray(0, 8)));
    } finally {
      await file.close();
    }
  });

  it('reports the bytes it found when the file is shorter than asked', async () => {
    const path = join(dir, 'short.txt');
    await writeFile(path, 'k v\n');
    const file = await open(path);
    try {
      expect(await sha256InWorker(file.fd, 100).digest).toMatchObject({
        sha256: sha256Of(Buffer.from('k v\n')),
        bytes: 4,
      });
    } finally {
      await file.close();
    }
  });

  it('can be cancelled before it ends', async () => {
    const path = join(dir, 'cancelled.txt');
    await writeFile(path, Buffer.alloc(32 * 1024 * 1024, 'a'));
    const file = await open(path);
    // Cancelled at once: the thread has not even started when terminate() is asked for.
    const hashing = sha256InWorker(file.fd, 32 * 1024 * 1024);
    await hashing.cancel();
    await expect(hashing.digest).rejects.toThrow(/stopped|terminated/);
    await file.close();
  });
});

describe('a text load large enough to hash on its own thread', () => {
  it('gives the version of the SHA-256 of the whole file, and every entry', async () => {
    const path = join(dir, 'large.txt');
    const line = (i: number) => `key-${i} ${'v'.repeat(100)} ${i}\n`;
    const lineCount = Math.ceil(PARALLEL_HASH_MIN_BYTES / line(0).length) + 1000;
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(path);
      out.on('error', reject).on('finish', resolve);
      for (let i = 0; i < lineCount; i += 10_000) {
        out.write(Array.from({ length: Math.min(10_000, lineCount - i) }, (_, j) => line(i + j)).join(''));
      }
      out.end();
    });
    const content = await readFile(path);
    expect(content.length).toBeGreaterThanOrEqual(PARALLEL_HASH_MIN_BYTES);
    const { store, scan } = await buildCompactStoreFromText(path, { onMalformed: 'fail' });
    expect(scan.sha256).toBe(sha256Of(content));
    expect(scan.version).toBe(sha256Of(content).slice(0, 16));
    expect(store.size).toBe(lineCount);
    expect(store.get(`key-${lineCount - 1}`)).toBe(`${'v'.repeat(100)} ${lineCount - 1}`);
    expect(store.get('key-0')).toBe(`${'v'.repeat(100)} 0`);
  }, 60_000);
});
