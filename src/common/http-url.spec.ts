import { httpUrlProblem, publicUrl, urlTextWithoutSecrets, withPublicUrls } from './http-url.js';

describe('http-url', () => {
  it('shows a URL without its query string, fragment or user info', () => {
    expect(publicUrl('https://svc:pw@bucket.example:8443/v1.kvs?X-Amz-Signature=abc#top')).toBe(
      'https://bucket.example:8443/v1.kvs',
    );
  });

  it.each([
    ['http://x:99999/v.data?X-Amz-Signature=abc', 'http://x:99999/v.data'],
    ['http://svc:pw@[::1/a?sig=abc', 'http://[::1/a'],
    ['v42.kvs?sig=abc', 'v42.kvs'],
    // A password holding "/", "?" or "#" makes the URL unparsable, and must not show in part.
    ['http://svc:pa/ss@host/x', 'http://host/x'],
    ['http://svc:ab?cd@h/x?sig=abc', 'http://h/x'],
    ['http://svc:ab#cd@h/x', 'http://h/x'],
  ])('quotes %s, which may not parse, as %s', (text, shown) => {
    expect(urlTextWithoutSecrets(text)).toBe(shown);
    expect(publicUrl(text)).toBe(shown);
  });

  it('rewrites every URL quoted in a message', () => {
    expect(
      withPublicUrls(
        'Request cannot be constructed from a URL that includes credentials: http://user:pw@127.0.0.1:9/ex.data?sig=abc',
      ),
    ).toBe('Request cannot be constructed from a URL that includes credentials: http://127.0.0.1:9/ex.data');
    expect(withPublicUrls('failed (see http://h/x?sig=abc), retrying.')).toBe('failed (see http://h/x), retrying.');
  });

  it.each([
    ['https://h/file', undefined],
    ['v42.kvs', 'it is not a URL'],
    ['ftp://h/file', 'it is ftp, not http or https'],
    ['http://user:pw@h/file', 'it holds user:password@, which is never sent'],
    ['http://x:99999/a', 'it is not a URL'],
  ])('judges %s', (text, problem) => {
    expect(httpUrlProblem(text)).toBe(problem);
  });

  it('resolves a relative URL against a base', () => {
    expect(httpUrlProblem('v42.kvs', 'https://h/kv/current.json')).toBeUndefined();
  });
});
