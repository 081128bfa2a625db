import { MALFORMED_REASON_TEXT } from './line-parser.js';
import { loadDataset } from './load-dataset.js';
import { rejection, sortedEntries, useDataDir, writeData } from './load-dataset.test-helpers.js';

/** loadDataset on malformed lines: refused with the fail policy, counted and sampled with the skip policy. */

useDataDir();

/** 12 malformed lines, on the odd line numbers 1..23, with valid lines between them. */
const TWELVE_MALFORMED: Array<{ line: number; text: string; reason: keyof typeof MALFORMED_REASON_TEXT }> = [
  { line: 1, text: 'lonely', reason: 'no-separator' },
  { line: 3, text: ' empty key', reason: 'empty-key' },
  { line: 5, text: 'a\u00a0b c', reason: 'whitespace-in-key' },
  { line: 7, text: 'bad\udc80 x', reason: 'invalid-utf8' },
  { line: 9, text: 'alone', reason: 'no-separator' },
  { line: 11, text: '\tx y', reason: 'empty-key' },
  { line: 13, text: 'a\rb c', reason: 'whitespace-in-key' },
  { line: 15, text: 'c\u3000d e', reason: 'whitespace-in-key' },
  { line: 17, text: 'solo', reason: 'no-separator' },
  { line: 19, text: ' z', reason: 'empty-key' },
  { line: 21, text: 'eleventh', reason: 'no-separator' },
  { line: 23, text: '\ttwelfth', reason: 'empty-key' },
];

function twelveMalformedFile(): Buffer {
  const lines: Buffer[] = [];
  TWELVE_MALFORMED.forEach(({ text }, index) => {
    // Line 7 holds a lone continuation byte, which a JS string cannot carry.
    lines.push(text.includes('\udc80') ? Buffer.from([0x62, 0x61, 0x64, 0x80, 0x20, 0x78]) : Buffer.from(text));
    lines.push(Buffer.from(`good${index} ${index}`));
  });
  return Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')]));
}

describe('loadDataset: malformed lines', () => {
  let path: string;

  beforeAll(async () => {
    path = await writeData(twelveMalformedFile());
  });

  it('refuses the file with the fail policy, naming the path, the first 10 lines and the total', async () => {
    const error = await rejection(loadDataset(path, { onMalformed: 'fail' }));
    expect(error.name).toBe('DatasetLoadError');
    const { message } = error;
    expect(message).toContain(path);
    for (const { line, reason } of TWELVE_MALFORMED.slice(0, 10)) {
      expect(message).toContain(`line ${line}: ${MALFORMED_REASON_TEXT[reason]}`);
    }
    const withoutPath = message.split(path).join('<path>');
    // The 11th and 12th (lines 21 and 23) are counted but not listed.
    expect(withoutPath).not.toMatch(/\b21\b/);
    expect(withoutPath).not.toMatch(/\b23\b/);
    expect(withoutPath).toMatch(/\b12\b/);
    expect(message).not.toContain('\n');
  });

  it('refuses the file with the fail policy at a small read size too', async () => {
    await rejection(loadDataset(path, { onMalformed: 'fail', readSize: 3 }));
  });

  it('names a single malformed line and its reason', async () => {
    const single = await writeData('a 1\n\nb\u2028c d\n');
    const { message } = await rejection(loadDataset(single, { onMalformed: 'fail' }));
    expect(message).toContain(single);
    expect(message).toContain(`line 3: ${MALFORMED_REASON_TEXT['whitespace-in-key']}`);
    expect(message.split(single).join('<path>')).toMatch(/\b1\b/);
  });

  it('loads the rest with the skip policy, counting and sampling the malformed lines', async () => {
    const dataset = await loadDataset(path, { onMalformed: 'skip' });
    expect(dataset.summary.malformedSkipped).toBe(12);
    expect(dataset.summary.keys).toBe(12);
    expect(dataset.summary.lines).toBe(24);
    expect(dataset.malformedSamples).toEqual(
      TWELVE_MALFORMED.slice(0, 10).map(({ line, reason }) => ({ line, reason })),
    );
    expect(dataset.store.get('good0')).toBe('0');
    expect(dataset.store.get('good11')).toBe('11');
    expect(dataset.store.get('lonely')).toBeUndefined();
    expect(dataset.store.get('a\rb')).toBeUndefined();
  });

  it('samples every malformed line when there are fewer than 10', async () => {
    const dataset = await loadDataset(await writeData('lonely\nk v\n\tx\n'), { onMalformed: 'skip' });
    expect(dataset.summary.malformedSkipped).toBe(2);
    expect(dataset.malformedSamples).toEqual([
      { line: 1, reason: 'no-separator' },
      { line: 3, reason: 'empty-key' },
    ]);
    expect(sortedEntries(dataset.store)).toEqual([['k', 'v']]);
  });
});
