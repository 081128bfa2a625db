import { PassThrough } from 'node:stream';
import { createProgress } from './progress.js';

/** The JSON lines a build prints when stderr is not a terminal, on a clock the test moves. */
describe('progress as JSON lines', () => {
  let now = 0;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  const lines = () => {
    const stderr = new PassThrough();
    let text = '';
    stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const progress = createProgress({ stdout: new PassThrough(), stderr, env: {} });
    const written = () =>
      text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { phase: string; bytes: number; elapsedMs: number });
    return { progress, written };
  };

  it('writes about one line a second in a phase, the newest report each time', () => {
    const { progress, written } = lines();
    // A report every 100 ms for 3 s of reading.
    for (let step = 0; step <= 30; step++) {
      progress.update({ phase: 'reading', bytes: step * 10, totalBytes: 300, lines: step });
      now += 100;
    }
    expect(written().map(({ bytes }) => bytes)).toEqual([0, 100, 200, 300]);
  });

  it("writes a phase's held-back last report before the next phase, and at the end", () => {
    const { progress, written } = lines();
    progress.update({ phase: 'reading', bytes: 0, totalBytes: 50 });
    now += 200;
    progress.update({ phase: 'reading', bytes: 50, totalBytes: 50 });
    now += 10;
    progress.update({ phase: 'writing', bytes: 0, totalBytes: 80 });
    now += 10;
    progress.update({ phase: 'writing', bytes: 80, totalBytes: 80 });
    progress.stop();
    expect(written().map(({ phase, bytes, elapsedMs }) => [phase, bytes, elapsedMs])).toEqual([
      ['reading', 0, 0],
      ['reading', 50, 200],
      ['writing', 0, 210],
      ['writing', 80, 220],
    ]);
  });
});
