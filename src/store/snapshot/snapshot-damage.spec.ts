import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSnapshot } from './load-snapshot.js';
import { DatasetLoadError, loadDataset } from '../load-dataset.js';
import { buildTestSnapshot, headerLength, LAYOUT, resealHeader, sectionsOf } from './snapshot.test-helpers.js';

/** Every way a snapshot can be damaged is refused with one paragraph that names the file and the problem. */
let dir: string;
let original: Buffer;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-snapshot-damage-'));
  const text = Array.from({ length: 60 }, (_, i) => `key-${i} value ${i} é\n`).join('') + 'key-1 again\n';
  // Small segments: the records are spread over several sections, each of which is damaged in turn.
  original = await buildTestSnapshot(dir, text, 400);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function damaged(bytes: Buffer): Promise<string> {
  const path = join(dir, `damaged-${++counter}.kvs`);
  await writeFile(path, bytes);
  return path;
}

/** The DatasetLoadError loading `path` gives, checked to be one paragraph naming the file. */
async function refusal(path: string): Promise<string> {
  const error = await loadSnapshot(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetLoadError);
  const { message } = error as DatasetLoadError;
  expect(message).toContain(`"${path}"`);
  expect(message).not.toMatch(/\n/);
  expect(message).not.toMatch(/ at .*\.(ts|js):\d+/);
  return message;
}

describe('a damaged snapshot is refused, never loaded or crashed on', () => {
  it('loads when intact (the files below differ from it only as described)', async () => {
    const { store } = await loadSnapshot(await damaged(Buffer.from(original)));
    expect(store.get('key-1')).toBe('again');
    expect(store.size).toBe(60);
    expect(sectionsOf(original).length).toBeGreaterThan(6);
  });

  it.each([1, 4, 7])('truncated inside its magic bytes, at %i bytes', async (length) => {
    expect(await refusal(await damaged(original.subarray(0, length)))).toMatch(
      `it is truncated: it ends after ${length} bytes, inside its magic bytes`,
    );
  });

  it.each([8, 60, 127])('truncated inside its fixed header, at %i bytes', async (length) => {
    expect(await refusal(await damaged(original.subarray(0, length)))).toMatch(/it is truncated: it ends after/);
  });

  it('truncated inside its section table, one byte before the end of the header', async () => {
    const length = headerLength(original) - 1;
    expect(await refusal(await damaged(original.subarray(0, length)))).toMatch(
      `it is truncated: it ends after ${length} bytes, inside its ${length + 1}-byte header`,
    );
  });

  it('truncated in the middle of every section, and by its last byte', async () => {
    const cuts = [...sectionsOf(original).map((s) => s.offset + Math.floor(s.length / 2)), original.length - 1];
    for (const cut of cuts) {
      expect(await refusal(await damaged(original.subarray(0, cut)))).toMatch(
        `it is truncated: ${cut} of the ${original.length} bytes its header announces`,
      );
    }
  });

  it('with bytes appended', async () => {
    expect(await refusal(await damaged(Buffer.concat([original, Buffer.from('x')])))).toMatch(/data was appended/);
  });

  it('with a byte flipped in every section, named in the message', async () => {
    const names = ['segment table', 'record offsets', 'key order', 'hash index'];
    for (const section of sectionsOf(original)) {
      const bytes = Buffer.from(original);
      bytes[section.offset + Math.floor(section.length / 2)] ^= 0x01;
      const name = names[section.index] ?? 'records';
      expect(await refusal(await damaged(bytes))).toMatch(
        `its ${name} section (section ${section.index + 1}, bytes ${section.offset} to ${
          section.offset + section.length
        }) fails its checksum`,
      );
    }
  });

  it('with a byte flipped anywhere in its header, magic excepted', async () => {
    for (let at = 8; at < headerLength(original); at += 5) {
      const bytes = Buffer.from(original);
      bytes[at] ^= 0x10;
      // Some fields are checked before the checksum (the version, the header's length);
      // whichever check speaks, the file is refused.
      expect(await refusal(await damaged(bytes))).toMatch(/header|format|truncated/);
    }
  });

  it('with wrong magic bytes (the rest intact): still recognised, and refused', async () => {
    for (const at of [0, 3, 7]) {
      const bytes = Buffer.from(original);
      bytes[at] ^= 0x20;
      expect(await refusal(await damaged(bytes))).toMatch(/its magic bytes are damaged \([0-9A-F ]+\)/);
    }
    const foreign = Buffer.from(original);
    foreign.write('NOTASNAP', 0, 'latin1');
    expect(await refusal(await damaged(foreign))).toMatch('its magic bytes are damaged (4E 4F 54 41 53 4E 41 50)');
  });

  it('from a newer format version', async () => {
    const bytes = Buffer.from(original);
    bytes.writeUInt32LE(3, LAYOUT.formatVersion);
    expect(await refusal(await damaged(resealHeader(bytes)))).toMatch(
      'it was made by a newer kv-server: format 3, this one reads 1-2. Read it with that kv-server or a later one, or build it again with this one.',
    );
  });

  it.each([
    ['more keys than it has', LAYOUT.keys, (n: bigint) => n + 1n, /sections disagree with its header/],
    ['fewer entries than keys', LAYOUT.entries, (n: bigint) => n - 2n, /sections disagree with its header: 60 keys/],
    ['a wrong duplicate count', LAYOUT.duplicates, (n: bigint) => n + 5n, /sections disagree with its header/],
    [
      'a shorter length',
      LAYOUT.fileLength,
      (n: bigint) => n - 8n,
      /where its header announces \d+ \(data was appended\)/,
    ],
  ])('whose header claims %s, even with a valid header checksum', async (_name, at, change, message) => {
    const bytes = Buffer.from(original);
    bytes.writeBigUInt64LE(change(bytes.readBigUInt64LE(at)), at);
    expect(await refusal(await damaged(resealHeader(bytes)))).toMatch(message);
  });

  it('whose section table is out of place, even with a valid header checksum', async () => {
    const bytes = Buffer.from(original);
    const nameLength = bytes.readUInt32LE(LAYOUT.nameLength);
    const firstEntry = Math.ceil((LAYOUT.fixedBytes + nameLength) / 8) * 8;
    bytes.writeBigUInt64LE(bytes.readBigUInt64LE(firstEntry + 8) + 8n, firstEntry + 8);
    expect(await refusal(await damaged(resealHeader(bytes)))).toMatch(
      /sections disagree with its header: the segment table section starts at byte \d+, expected \d+/,
    );
  });

  it('an empty file is a text file of zero keys to the server (contract), and not a snapshot to inspect', async () => {
    const path = await damaged(Buffer.alloc(0));
    const { readHeader, readStart } = await import('./read-snapshot.js');
    const { open } = await import('node:fs/promises');
    const file = await open(path, 'r');
    try {
      const error = await readHeader(path, file, 0, await readStart(file, 0)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatasetLoadError);
      expect((error as Error).message).toBe(
        `Cannot load snapshot "${path}": the file is empty. Build it again with "kv-server build".`,
      );
    } finally {
      await file.close();
    }
    const asText = await loadDataset(path, { onMalformed: 'fail' });
    expect(asText.store.size).toBe(0);
  });

  it("a directory is refused with the text loader's own message", async () => {
    const path = join(dir, 'a-directory.kvs');
    await mkdir(path);
    expect(await refusal(path)).toBe(
      `Cannot load data file "${path}": it is a directory; expected a file of "<key> <value>" lines.`,
    );
  });
});
