import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientRolesService } from '../src/access/client-roles.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Client roles against a simple model, over HTTP on the real engine: random clients
 * and prefixes (Unicode, `/`, `%`, `+`, long ones, prefixes of each other, the empty
 * prefix) over a random dataset, the rules rotated between runs. Every look-up, batch and listing decision equals the
 * model's, and a listing paged to the end returns exactly the in-scope keys, each once.
 * The model compares UTF-8 bytes; the server its own way.
 */
// No '.': inject resolves dot segments, `%2E` included, as WHATWG URLs do (a real
// client's raw `..` reaches the server: client-roles-server.e2e-spec.ts tests those with node:http).
const ALPHABET = ['a', 'b', '/', '%', 'é', '😀', 'Z', '+', '~'];
const keyText = (maxLength: number) =>
  fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength }).map((chars) => chars.join(''));
const KEYS = [
  ...new Set([
    ...fc.sample(keyText(8), { numRuns: 200, seed: 15 }),
    ...fc.sample(keyText(300), { numRuns: 5, seed: 16 }),
  ]),
];

const bytes = (text: string) => Buffer.from(text, 'utf8');
const startsWithBytes = (text: string, prefix: string) =>
  bytes(text).subarray(0, bytes(prefix).length).equals(bytes(prefix));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const SORTED_KEYS = [...KEYS].sort((a, b) => Buffer.compare(bytes(a), bytes(b)));

interface ModelClient {
  id: string;
  apiKey: string;
  prefixes: string[];
}
const model = {
  mayRead: (client: ModelClient, key: string) => client.prefixes.some((prefix) => startsWithBytes(key, prefix)),
  mayList: (client: ModelClient, requested: string) =>
    client.prefixes.some((prefix) => startsWithBytes(requested, prefix) || startsWithBytes(prefix, requested)),
  listing: (client: ModelClient, requested: string) =>
    SORTED_KEYS.filter((key) => startsWithBytes(key, requested) && model.mayRead(client, key)),
};

/** Prefixes drawn from the keys themselves (so they match some), shorter ones, and any text. */
const prefix = fc.oneof(
  fc.constant(''),
  fc.tuple(fc.constantFrom(...KEYS), fc.nat()).map(([key, cut]) => [...key].slice(0, cut % 4).join('')),
  keyText(3),
);
const clients = fc
  .uniqueArray(fc.array(prefix, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 })
  .map((prefixLists) =>
    prefixLists.map((prefixes, index): ModelClient => ({ id: `client-${index}`, apiKey: `key-${index}`, prefixes })),
  );
const probeKey = fc.oneof(fc.constantFrom(...KEYS), keyText(6));

describe('client roles against a model', () => {
  let testApp: TestApp;
  let dir: string;
  let accessFile: string;

  const writeRules = async (list: ModelClient[]) => {
    const entries = list.map(({ id, apiKey, prefixes }) => ({ id, keySha256: sha256(apiKey), prefixes }));
    await writeFile(accessFile, JSON.stringify({ clients: entries }));
    testApp.app.get(ClientRolesService).reread('test');
  };
  const auth = (client: ModelClient) => ({ authorization: `Bearer ${client.apiKey}` });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-roles-model-'));
    accessFile = join(dir, 'access.json');
    await writeFile(accessFile, JSON.stringify({ clients: [{ id: 'x', keySha256: sha256('x'), prefixes: [''] }] }));
    const data = KEYS.map((key) => `${key} value-of-${key}`).join('\n');
    testApp = await startTestApp(`${data}\n`, { KV_ACCESS_FILE: accessFile });
  });
  afterAll(async () => {
    await testApp.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('decides every look-up as the model does', async () => {
    await fc.assert(
      fc.asyncProperty(clients, fc.array(probeKey, { minLength: 1, maxLength: 8 }), async (list, probes) => {
        await writeRules(list);
        for (const client of list) {
          for (const key of probes) {
            const response = await testApp.app.inject({
              url: `/keys/${encodeURIComponent(key)}`,
              headers: auth(client),
            });
            const expected = !model.mayRead(client, key) ? 403 : KEYS.includes(key) ? 200 : 404;
            expect({ key, prefixes: client.prefixes, status: response.statusCode }).toEqual({
              key,
              prefixes: client.prefixes,
              status: expected,
            });
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a batch exactly when the model finds a key outside, and answers the rest in full', async () => {
    await fc.assert(
      fc.asyncProperty(clients, fc.array(probeKey, { minLength: 1, maxLength: 12 }), async (list, keys) => {
        await writeRules(list);
        for (const client of list) {
          const response = await testApp.app.inject({
            method: 'POST',
            url: '/keys/_mget',
            headers: auth(client),
            payload: { keys },
          });
          const outside = [...new Set(keys)].filter((key) => !model.mayRead(client, key));
          if (outside.length > 0) {
            expect(response.statusCode).toBe(403);
            for (const key of outside.slice(0, 10)) expect(response.json().message).toContain(JSON.stringify(key));
          } else {
            expect(response.statusCode).toBe(200);
            const found = Object.keys(response.json().found);
            expect(found.sort()).toEqual([...new Set(keys)].filter((key) => KEYS.includes(key)).sort());
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('lists, page by page to the end, exactly the in-scope keys in byte order, each once', async () => {
    await fc.assert(
      fc.asyncProperty(clients, prefix, fc.integer({ min: 1, max: 7 }), async (list, requested, limit) => {
        await writeRules(list);
        for (const client of list) {
          const query = (cursor?: string) =>
            `/keys?limit=${limit}&prefix=${encodeURIComponent(requested)}${cursor ? `&cursor=${cursor}` : ''}`;
          let response = await testApp.app.inject({ url: query(), headers: auth(client) });
          if (!model.mayList(client, requested)) {
            expect(response.statusCode).toBe(403);
            continue;
          }
          const listed: string[] = [];
          for (;;) {
            expect(response.statusCode).toBe(200);
            const page = response.json() as { keys: string[]; nextCursor: string | null };
            expect(page.keys.length).toBeLessThanOrEqual(limit);
            listed.push(...page.keys);
            if (page.nextCursor === null) break;
            response = await testApp.app.inject({ url: query(page.nextCursor), headers: auth(client) });
          }
          expect(listed).toEqual(model.listing(client, requested));
        }
      }),
      { numRuns: 40 },
    );
  });
});
