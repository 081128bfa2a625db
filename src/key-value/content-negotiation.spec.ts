import { chooseRepresentation, negotiate } from './content-negotiation.js';

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

  it('gives the same answer when the header is seen again (cached)', () => {
    const accept = 'text/plain;q=0.7, application/json;q=0.6';
    expect(chooseRepresentation(accept)).toBe('raw');
    expect(chooseRepresentation(accept)).toBe('raw');
  });
});
