/**
 * The built server (dist/main.js) serving a snapshot answers exactly as it does serving
 * the text file the snapshot was built from: same bodies, ETags and KV-Dataset-Version,
 * for look-ups, raw values, batches and listings. A damaged snapshot stops start-up.
 * (`npm test` builds first; run `npm run build` before this file on its own.)
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runToExit, startServer, type ServerProcess } from './support/server-process.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'every-rule.data');
/** The fixture has malformed lines on purpose: both servers skip them. */
const ENV = { KV_ON_MALFORMED: 'skip' };

let dir: string;
let snapshot: string;
let fromText: ServerProcess;
let fromSnapshot: ServerProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kv-snapshot-server-'));
  snapshot = join(dir, 'every-rule.kvs');
  execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'build', FIXTURE, '-o', snapshot, '--no-progress'], {
    env: { PATH: process.env.PATH, ...ENV },
    stdio: 'ignore',
  });
  [fromText, fromSnapshot] = await Promise.all([
    startServer({ ...ENV, KV_DATA_FILE_PATH: FIXTURE }),
    startServer({ ...ENV, KV_DATA_FILE_PATH: snapshot }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([fromText?.stop(), fromSnapshot?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** What a client sees of an answer: status, the headers that must agree across a fleet, and the body. */
async function observe(server: ServerProcess, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.baseUrl}${path}`, init);
  return {
    status: response.status,
    etag: response.headers.get('etag'),
    version: response.headers.get('kv-dataset-version'),
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

interface DatasetReport {
  format: string;
  version: string;
  source: string;
  lastReload: { at: string; outcome: string; error: string | null } | null;
  [field: string]: unknown;
}

async function datasetOf(server: ServerProcess): Promise<DatasetReport> {
  return (await (await fetch(`${server.baseUrl}/dataset`)).json()) as DatasetReport;
}

async function allKeys(server: ServerProcess): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const page = (await (await fetch(`${server.baseUrl}/keys?limit=7${cursor ? `&cursor=${cursor}` : ''}`)).json()) as {
      keys: string[];
      nextCursor: string | null;
    };
    keys.push(...page.keys);
    cursor = page.nextCursor;
  }
  return keys;
}

describe('a server started on a snapshot', () => {
  it('lists the same keys, page by page', async () => {
    const keys = await allKeys(fromText);
    expect(keys.length).toBeGreaterThan(80);
    expect(await allKeys(fromSnapshot)).toEqual(keys);
    for (const query of ['?prefix=f&limit=3', '?prefix=%E6%9D%B1', '?limit=1000']) {
      expect(await observe(fromSnapshot, `/keys${query}`)).toEqual(await observe(fromText, `/keys${query}`));
    }
  });

  it('answers every key, present or missing, as JSON and raw, with the same ETag and version', async () => {
    const keys = [...(await allKeys(fromText)), 'missing', 'lonely', 'caf', 'a%2Fb'];
    for (const key of keys) {
      const path = `/keys/${encodeURIComponent(key)}`;
      const raw = { headers: { accept: 'text/plain' } };
      const [json, text] = [await observe(fromText, path), await observe(fromText, path, raw)];
      expect(await observe(fromSnapshot, path)).toEqual(json);
      expect(await observe(fromSnapshot, path, raw)).toEqual(text);
      if (json.status === 200) {
        const revalidate = { headers: { 'if-none-match': json.etag! } };
        expect((await observe(fromSnapshot, path, revalidate)).status).toBe(304);
      }
    }
  });

  it('answers a batch look-up the same', async () => {
    const keys = (await allKeys(fromText)).slice(0, 40).concat(['missing', 'dup']);
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ keys }) };
    expect(await observe(fromSnapshot, '/keys/_mget', init)).toEqual(await observe(fromText, '/keys/_mget', init));
  });

  it('reports the same dataset, but for its format, file and size', async () => {
    const [text, snap] = await Promise.all([datasetOf(fromText), datasetOf(fromSnapshot)]);
    expect(text.format).toBe('text');
    expect(snap).toMatchObject({ format: 'snapshot', source: snapshot });
    const same = ['version', 'keys', 'lines', 'duplicatesOverridden', 'malformedSkipped'];
    for (const field of same) expect([field, snap[field]]).toEqual([field, text[field]]);
  });
});

/** Sends SIGHUP and waits until /dataset reports a reload newer than `after`. */
async function reload(server: ServerProcess, after: string | undefined) {
  server.child.kill('SIGHUP');
  for (let i = 0; i < 200; i++) {
    const report = await datasetOf(server);
    if (report.lastReload && report.lastReload.at !== after)
      return report as DatasetReport & {
        lastReload: NonNullable<DatasetReport['lastReload']>;
      };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no reload reported');
}

describe('reloading', () => {
  it('swaps a text file for its snapshot without a change of version, and keeps it when a damaged one follows', async () => {
    const served = join(dir, 'served.data');
    await copyFile(FIXTURE, served);
    const server = await startServer({ ...ENV, KV_DATA_FILE_PATH: served });
    try {
      const before = await observe(server, '/keys/caf%C3%A9');
      await copyFile(snapshot, `${served}.next`);
      await rename(`${served}.next`, served);
      const swapped = await reload(server, undefined);
      expect(swapped).toMatchObject({ format: 'snapshot', lastReload: { outcome: 'success' } });
      expect(await observe(server, '/keys/caf%C3%A9')).toEqual(before);

      const bytes = await readFile(snapshot);
      bytes[bytes.length >> 1] ^= 0x01;
      await writeFile(`${served}.next`, bytes);
      await rename(`${served}.next`, served);
      const failed = await reload(server, swapped.lastReload.at);
      expect(failed).toMatchObject({
        format: 'snapshot',
        version: swapped.version,
        lastReload: { outcome: 'failure' },
      });
      expect(failed.lastReload.error).toMatch(`Cannot load snapshot "${served}"`);
      expect(await observe(server, '/keys/caf%C3%A9')).toEqual(before);
    } finally {
      await server.stop();
    }
  });
});

describe('a damaged snapshot', () => {
  it('stops start-up with exit code 1 and one paragraph naming the file and the problem', async () => {
    const damaged = join(dir, 'damaged.kvs');
    const bytes = await readFile(snapshot);
    bytes[bytes.length - 3] ^= 0x40;
    await writeFile(damaged, bytes);
    const exit = await runToExit({ KV_DATA_FILE_PATH: damaged });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(
      new RegExp(`^kv-server: Cannot load snapshot "${damaged}": its records section .* fails its checksum .*\\.\n$`),
    );
  });
});
