import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp } from '../src/create-app.js';
import { DatasetService } from '../src/dataset/dataset.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * test/fixtures/every-rule.data holds 100 lines with every rule of the data format
 * (docs/data-format.md): each line's expected meaning is written out below, by hand,
 * and checked through HTTP.
 */
const FIXTURE = join(__dirname, 'fixtures', 'every-rule.data');

const expectedEntries: Record<string, string> = {
  'bom-key': 'after BOM',
  simple: 'value',
  tab: 'value after tab',
  'first-space-wins': 'a b\tc',
  'first-tab-wins': 'x y',
  padded: '  three leading, two trailing  ',
  'empty-value': '',
  'empty-value-tab': '',
  'crlf-key': 'crlf value',
  'inner-cr': 'a\rb',
  'double-cr': 'value\r',
  'sep\u001fkey': 'unit separator allowed',
  'zwsp\u200bkey': 'zero width space allowed',
  '\ufeffbom-mid-file': 'BOM after start is key data',
  café: 'crème brûlée',
  東京: '日本',
  'emoji😀': '🎉 party',
  'a/b': 'slash',
  'plus+key': 'plus',
  'quote"key': '"quoted" \\ backslash',
  dup: 'second',
  ctrl: '\u0001\u0002 control chars',
  'last-line': 'no newline\r',
};
for (let line = 40; line <= 99; line++) expectedEntries[`filler-${String(line).padStart(3, '0')}`] = `value ${line}`;

const expectedMalformed = [
  [15, 'no space or tab'],
  [16, 'empty key'],
  [17, 'empty key'],
  [18, 'whitespace'],
  [19, 'whitespace'],
  [20, 'whitespace'],
  [21, 'whitespace'],
  [22, 'whitespace'],
  [23, 'whitespace'],
  [24, 'whitespace'],
  [25, 'whitespace'],
  [26, 'not valid UTF-8'],
  [27, 'not valid UTF-8'],
] as const;

describe('the every-rule fixture (100 lines), served over HTTP', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp(await readFile(FIXTURE), { KV_ON_MALFORMED: 'skip' });
  });
  afterAll(() => testApp.close());

  it('has 100 lines', async () => {
    const text = await readFile(FIXTURE, 'latin1');
    expect(text.split('\n')).toHaveLength(100);
  });

  it('serves every well-formed line exactly, the raw value byte for byte', async () => {
    for (const [key, value] of Object.entries(expectedEntries)) {
      const url = `/keys/${encodeURIComponent(key)}`;
      const json = await testApp.app.inject({ method: 'GET', url });
      expect({ key, status: json.statusCode, body: json.json() }).toEqual({ key, status: 200, body: { [key]: value } });
      const raw = await testApp.app.inject({ method: 'GET', url, headers: { accept: 'text/plain' } });
      expect(raw.rawPayload.equals(Buffer.from(value))).toBe(true);
    }
  });

  it('serves nothing else: malformed lines, blank lines and overridden duplicates are not keys', async () => {
    const dataset = testApp.app.get(DatasetService).serving;
    expect(dataset.store.size).toBe(Object.keys(expectedEntries).length);
    expect(dataset.summary).toMatchObject({
      lines: 100,
      duplicatesOverridden: 1,
      malformedSkipped: expectedMalformed.length,
    });
    for (const key of ['lonely', 'leading-space', 'cr', 'vt', 'bad', 'badvalue']) {
      expect((await testApp.app.inject({ method: 'GET', url: `/keys/${key}` })).statusCode).toBe(404);
    }
  });

  it('is refused with KV_ON_MALFORMED=fail, naming the first 10 malformed lines and the total', async () => {
    const failure = createApp({ LOG_LEVEL: 'silent', KV_DATA_FILE_PATH: FIXTURE }).then((app) => app.init());
    const message: string = await failure.then(
      () => 'loaded',
      (error: Error) => error.message,
    );
    expect(message).toContain(FIXTURE);
    expect(message).toContain(`has ${expectedMalformed.length} malformed lines`);
    for (const [line, reason] of expectedMalformed.slice(0, 10))
      expect(message).toMatch(new RegExp(`line ${line}: [^;]*${reason}`));
    for (const [line] of expectedMalformed.slice(10)) expect(message).not.toContain(`line ${line}:`);
  });
});
