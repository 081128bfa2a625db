import { createHash } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from './support/server-process.js';

/**
 * Client roles in the built server (node dist/main.js): the access file rotated 50
 * times under load, every request judged by one version; and the logs, which carry
 * every denial but never a credential, its hash or a looked-up key above debug.
 */
const API_KEY = 'osprey-api-key-8c2b';
const UNKNOWN_KEY = 'grebe-unknown-key-1f9d';
const HASHES = [API_KEY, UNKNOWN_KEY].map((key) => createHash('sha256').update(key).digest('hex'));
const BILLING = ['billing/walrus-invoice-1001', 'billing/walrus-invoice-1002'];
const HR = ['hr/narwhal-employee-7', 'hr/narwhal-employee-8'];
const DATA = [...BILLING, ...HR].map((key) => `${key} value-of-${key}`).join('\n');
/** One key, two versions: each a different client id and prefix, so a mix of the two would show. */
const version = (id: string, prefix: string) =>
  `clients:\n  - id: ${id}\n    keySha256: ${HASHES[0]}\n    prefixes: ["${prefix}"]\n`;
const VERSIONS = [version('version-a', 'billing/'), version('version-b', 'hr/')];

/** A request with the target sent exactly as written (fetch would resolve dot segments). */
function rawGet(server: ServerProcess, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

describe('client roles in the built server', () => {
  let dir: string;
  let dataFile: string;
  let accessFile: string;
  let server: ServerProcess;
  const auth = { authorization: `Bearer ${API_KEY}` };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-roles-server-'));
    dataFile = join(dir, 'data');
    accessFile = join(dir, 'access.yaml');
    await writeFile(dataFile, `${DATA}\n`);
    await writeFile(accessFile, VERSIONS[0]);
    server = await startServer({
      KV_DATA_FILE_PATH: dataFile,
      KV_ACCESS_FILE: accessFile,
      KV_ACCESS_LOG: 'true',
      LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces the file 50 times under load: every answer is one version’s, none a mix', async () => {
    let rotating = true;
    const seen = { listings: new Set<string>(), lookUps: new Map<number, number>() };
    const client = async () => {
      while (rotating) {
        const listing = await rawGet(server, '/keys?limit=1000', auth);
        expect(listing.status).toBe(200);
        const keys = (JSON.parse(listing.body) as { keys: string[] }).keys;
        // All of one version's prefix, never keys of both (nor none).
        expect([JSON.stringify(BILLING), JSON.stringify(HR)]).toContain(JSON.stringify(keys));
        seen.listings.add(keys[0]);
        const lookUp = await rawGet(server, `/keys/${BILLING[0]}`, auth);
        expect([200, 403]).toContain(lookUp.status);
        seen.lookUps.set(lookUp.status, (seen.lookUps.get(lookUp.status) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 4 }, client);
    for (let swap = 1; swap <= 50; swap++) {
      await writeFile(`${accessFile}.next`, VERSIONS[swap % 2]);
      await rename(`${accessFile}.next`, accessFile);
      server.child.kill('SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    rotating = false;
    await Promise.all(clients);
    // Both versions served: the rotation happened while the clients ran.
    expect(seen.listings).toEqual(new Set([BILLING[0], HR[0]]));
    expect([...seen.lookUps.keys()].sort()).toEqual([200, 403]);
  }, 60_000);

  it('logs denials at info, and never a credential, a hash or a looked-up key above debug', async () => {
    await writeFile(accessFile, VERSIONS[0]);
    server.child.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const linesBefore = server.stdout().trim().split('\n').length;
    const statuses = [
      (await rawGet(server, `/keys/${HR[0]}`, auth)).status,
      (await rawGet(server, `/keys/${HR[1]}`, { authorization: `Bearer ${UNKNOWN_KEY}` })).status,
      (await rawGet(server, `/keys/billing/..%2F${HR[0]}`, auth)).status,
      (await rawGet(server, `/keys?prefix=${HR[0]}`, auth)).status,
      (await rawGet(server, `/keys/${BILLING[1]}`, auth)).status,
    ];
    expect(statuses).toEqual([403, 401, 404, 403, 200]);
    // A broken file: logged, and the old rules stay.
    await writeFile(accessFile, `clients:\n  - id: x\n    keySha256: ${HASHES[1]}0\n    prefixes: [""]\n`);
    server.child.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await rawGet(server, `/keys/${BILLING[0]}`, auth)).status).toBe(200);

    const output = server.stdout() + server.stderr();
    for (const secret of [API_KEY, UNKNOWN_KEY, ...HASHES, ...BILLING, ...HR, 'walrus', 'narwhal']) {
      expect(output).not.toContain(secret);
    }
    const lines = server
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const denials = lines.slice(linesBefore).filter((line) => line.msg === 'Access denied');
    expect(denials.map(({ level, client, route, reason }) => ({ level, client, route, reason }))).toEqual([
      { level: 30, client: 'version-a', route: '/keys/{key}', reason: 'key outside prefixes' },
      { level: 30, client: 'anonymous', route: '/keys/{key}', reason: 'unknown API key' },
      { level: 30, client: 'version-a', route: '/keys', reason: 'prefix outside prefixes' },
    ]);
    const failure = lines.find(
      (line) => line.msg === 'Re-reading the access file failed; the previous rules stay in force',
    );
    expect(failure).toMatchObject({
      level: 50,
      error: expect.stringContaining('clients[0] (id "x"): keySha256 must be 64 hex digits'),
    });
    expect(lines.filter((line) => line.msg === 'request').length).toBeGreaterThan(200);
  });
});
