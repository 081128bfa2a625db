import type { IncomingMessage } from 'node:http';
import { requestIdFor } from './request-id.js';

const withHeader = (value?: string | string[]) =>
  ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as unknown as IncomingMessage;

describe('requestIdFor', () => {
  it('keeps an id of 1 to 200 visible ASCII characters', () => {
    for (const id of ['a', 'req-42', '0af7651916cd43dd8448eb211c80319c', '~'.repeat(200), 'x/y:z=1+2!']) {
      expect(requestIdFor(withHeader(id))).toBe(id);
    }
  });

  it('makes a new, unique id otherwise', () => {
    const refused = ['', ' ', 'a b', 'x'.repeat(201), 'café', 'tab\there', 'new\nline', '\u007f'];
    const made = [undefined, ...refused].map((id) => requestIdFor(withHeader(id)));
    made.push(requestIdFor(withHeader(['one', 'two'])));
    for (const id of made) expect(id).toMatch(/^[A-Za-z0-9_-]{8}-[0-9a-z]+$/);
    expect(new Set(made).size).toBe(made.length);
  });
});
