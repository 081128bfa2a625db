import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/server-process.js';

/**
 * `data/example.data` is made as docs/data-format.md says: a few readable lines written by hand
 * for the docs' examples, then what `npm run generate -- --lines 10000 --seed 1` writes.
 * The Kubernetes base ships a byte-for-byte copy (kustomize reads no file outside its
 * directory).
 */
const EXAMPLE = readFileSync(join(ROOT, 'data', 'example.data'));
const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} /;

describe('data/example.data', () => {
  let generated: Buffer;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-example-data-'));
    try {
      const out = join(dir, 'generated.data');
      execFileSync(process.execPath, ['scripts/generate-data.mjs', '--lines', '10000', '--seed', '1', '--out', out], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      generated = readFileSync(out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ends with the generator's 10,000 lines for seed 1", () => {
    expect(generated.length).toBeGreaterThan(0);
    expect(EXAMPLE.subarray(EXAMPLE.length - generated.length).equals(generated)).toBe(true);
  });

  it('starts with hand-written lines, none of them generated', () => {
    const readable = EXAMPLE.subarray(0, EXAMPLE.length - generated.length).toString('utf8');
    const lines = readable.split('\n').slice(0, -1);
    expect(readable.endsWith('\n')).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect({ line, generated: UUID_LINE.test(line) }).toEqual({ line, generated: false });
  });

  it('is shipped unchanged in k8s/base', () => {
    expect(readFileSync(join(ROOT, 'k8s', 'base', 'example.data')).equals(EXAMPLE)).toBe(true);
  });
});
