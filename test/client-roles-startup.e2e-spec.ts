import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/create-app.js';
import { RULES, sha256 } from './support/client-roles-fixture.js';

/** KV_ACCESS_FILE refused at start-up: with the other key settings, or when the file is bad or missing. */
describe('KV_ACCESS_FILE at start-up', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-roles-config-'));
    await writeFile(join(dir, 'data'), 'a 1\n');
    await writeFile(join(dir, 'good.yaml'), RULES);
    await writeFile(
      join(dir, 'bad.yaml'),
      `clients:\n  - id: a\n    keySha256: ${sha256('a')}\n    prefixes: [""]\n    operations: [write]\n`,
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const start = (env: Record<string, string>) =>
    createApp({ LOG_LEVEL: 'silent', KV_DATA_FILE_PATH: join(dir, 'data'), ...env });

  it.each(['KV_API_KEYS', 'KV_API_KEYS_FILE'])('refuses it together with %s, naming both', async (name) => {
    await expect(start({ KV_ACCESS_FILE: join(dir, 'good.yaml'), [name]: join(dir, 'data') })).rejects.toThrow(
      `KV_ACCESS_FILE and ${name} are both set`,
    );
  });

  it('stops on a bad file with a message naming the entry and the problem', async () => {
    await expect(start({ KV_ACCESS_FILE: join(dir, 'bad.yaml') })).rejects.toThrow(
      /KV_ACCESS_FILE=".*bad\.yaml": clients\[0\] \(id "a"\): unknown operation "write"/,
    );
    await expect(start({ KV_ACCESS_FILE: join(dir, 'missing.yaml') })).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });
});
