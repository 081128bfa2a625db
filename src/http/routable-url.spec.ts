import fc from 'fast-check';
import type { IncomingMessage } from 'node:http';
import { routableUrl } from './routable-url.js';

const rewrite = (url: string) => routableUrl({ url } as IncomingMessage);

describe('routableUrl', () => {
  it.each(['/keys/alpha', '/keys/caf%C3%A9', '/keys/a%2Fb?x=%ZZ', '/%6Beys/x', '/keys?prefix=%E2%82', '/keys/100%25'])(
    'leaves a decodable origin-form target as it is: %s',
    (url) => {
      expect(rewrite(url)).toBe(url);
    },
  );

  it.each([
    ['http://example.com/keys/alpha', '/keys/alpha'],
    ['HTTP://example.com:8080/keys/a%2Fb?x=1', '/keys/a%2Fb?x=1'],
    ['https://user@example.com', '/'],
    ['http://example.com?q', '/?q'],
  ])('routes an absolute-form target %s by its path: %s', (url, expected) => {
    expect(rewrite(url)).toBe(expected);
  });

  it.each([
    ['/keys/%ZZ', '/keys/%20ZZ'],
    ['/keys/%FF', '/keys/%20'],
    ['/keys/ok%C3%A9-%E2%82?q=%ZZ', '/keys/ok%C3%A9-%20?q=%ZZ'],
    ['/keys/%', '/keys/%20'],
    ['/keys/%C3%A9%FF', '/keys/%20'],
  ])('turns escapes that do not decode into a space the look-up refuses: %s', (url, expected) => {
    expect(rewrite(url)).toBe(expected);
  });

  it('always gives a path the router can decode, on the same first segment', () => {
    const segment = fc.stringMatching(/^(?:[a-z_]|%[0-9A-Fa-f]{2}|%[G-Z]{0,2})*$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        const url = `/keys/${segments.join('/')}`;
        const path = rewrite(url);
        expect(() => decodeURI(path)).not.toThrow();
        expect(path.startsWith('/keys/')).toBe(true);
        // Nothing changes in a path that decoded to begin with.
        let decodable = true;
        try {
          decodeURI(url);
        } catch {
          decodable = false;
        }
        if (decodable) expect(path).toBe(url);
      }),
    );
  });
});
