import fc from 'fast-check';
import {
  chooseRepresentation,
  MAX_MEDIA_RANGES,
  negotiate,
  rememberChoices,
  type Representation,
} from './content-negotiation.js';

describe('chooseRepresentation', () => {
  it.each([
    [undefined, 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['text/plain', 'raw'],
    ['text/*', 'raw'],
    ['text/plain, application/json', 'json'],
    ['application/json, text/plain', 'json'],
    ['text/plain;q=1, application/json;q=0.9', 'raw'],
    ['application/json;q=0.5, text/plain', 'raw'],
    ['application/json;q=0.5, text/plain;q=0.5', 'json'],
    ['text/html', 'json'],
    ['image/png, text/html;q=0.2', 'json'],
    ['text/plain;q=0, */*', 'json'],
    ['text/*;q=0.9, */*;q=0.1', 'raw'],
    ['text/*, application/*;q=0.5', 'raw'],
    ['application/*, text/plain;q=0.999', 'json'],
    ['TEXT/PLAIN', 'raw'],
    ['text/plain; charset=utf-8', 'raw'],
    ['text/plain;q=abc, application/json;q=0.1', 'json'],
    ['text/plain;q=2', 'json'],
    [' text/plain ; q=0.8 , application/json ; q=0.7', 'raw'],
    ['', 'json'],
    ['garbage', 'json'],
    [',,,;', 'json'],
  ])('Accept %p gives %p', (accept, expected) => {
    expect(chooseRepresentation(accept)).toBe(expected);
    if (accept !== undefined) expect(negotiate(accept)).toBe(expected);
  });

  it('answers every header right when more distinct headers come than it remembers, twice over', () => {
    // Each header's answer is known by construction; the counter makes them all distinct.
    const headers = Array.from({ length: 600 }, (_, i): [string, Representation] =>
      i % 2 === 0
        ? [`text/plain;q=0.9, application/json;q=0.1, x-test/n${i}`, 'raw']
        : [`text/plain;q=0.1, application/json;q=0.9, x-test/n${i}`, 'json'],
    );
    for (let round = 0; round < 2; round++) {
      const answers = headers.map(([accept]) => chooseRepresentation(accept));
      expect(answers).toEqual(headers.map(([, expected]) => expected));
    }
  });
});

describe('rememberChoices', () => {
  /** A chooser that notes every header it is asked about, answering from `answers`. */
  function counting(answers: Record<string, Representation>) {
    const asked: string[] = [];
    const choose = (accept: string) => {
      asked.push(accept);
      return answers[accept];
    };
    return { asked, choose };
  }

  it('asks once per header, however often the header comes again', () => {
    const { asked, choose } = counting({ a: 'raw', b: 'json' });
    const remembered = rememberChoices(choose, 4);
    expect(['a', 'b', 'a', 'a', 'b', 'a'].map(remembered)).toEqual(['raw', 'json', 'raw', 'raw', 'json', 'raw']);
    expect(asked).toEqual(['a', 'b']);
  });

  it('holds at most `limit` headers: past it, a header seen before is asked about again', () => {
    const { asked, choose } = counting({ a: 'raw', b: 'json', c: 'raw' });
    const remembered = rememberChoices(choose, 2);
    expect(['a', 'b', 'c', 'a'].map(remembered)).toEqual(['raw', 'json', 'raw', 'raw']);
    expect(asked).toEqual(['a', 'b', 'c', 'a']);
  });

  it("gives each header its own answer, never another header's, at any limit", () => {
    // Headers that differ only in case, spacing or a parameter are different headers.
    const pool = ['text/plain;q=0.5', 'TEXT/PLAIN;q=0.5', 'text/plain; q=0.5', 'text/*', 'text/*;q=1', 'a/b', 'x'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<Representation>('json', 'raw'), { minLength: pool.length, maxLength: pool.length }),
        fc.array(fc.nat({ max: pool.length - 1 }), { maxLength: 50 }),
        fc.integer({ min: 1, max: pool.length + 1 }),
        (answerOf, sequence, limit) => {
          const answers = Object.fromEntries(pool.map((accept, i) => [accept, answerOf[i]]));
          const { asked, choose } = counting(answers);
          const remembered = rememberChoices(choose, limit);
          const headers = sequence.map((i) => pool[i]);
          expect(headers.map(remembered)).toEqual(headers.map((accept) => answers[accept]));
          // Remembering everything it saw, it asks about each header exactly once.
          if (new Set(headers).size <= limit) expect(asked).toEqual([...new Set(headers)]);
        },
      ),
    );
  });
});

describe('negotiate, on hostile headers', () => {
  it(`reads the first ${MAX_MEDIA_RANGES} media ranges and ignores the rest`, () => {
    const filler = Array.from({ length: MAX_MEDIA_RANGES - 1 }, () => 'image/png').join(',');
    expect(negotiate(`${filler},text/plain`)).toBe('raw');
    expect(negotiate(`${filler},image/png,text/plain`)).toBe('json');
  });

  it('answers a 64 KiB header the same whether or not it was seen before', () => {
    const huge = `text/plain,${'x'.repeat(64 * 1024)}`;
    expect(chooseRepresentation(huge)).toBe('raw');
    expect(chooseRepresentation(huge)).toBe('raw');
  });
});
