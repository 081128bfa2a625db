import { DatasetSourceError } from './download.js';
import { parseManifest } from './manifest.js';

const SHA = 'a'.repeat(64);
const AT = 'https://datasets.example/kv/current.json?X-Signature=secret';

const refusal = (text: string): string => {
  try {
    parseManifest(text, AT);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetSourceError);
    return (error as Error).message;
  }
  throw new Error('expected the manifest to be refused');
};

describe('parseManifest', () => {
  it('resolves a relative url against the manifest and lower-cases the digest', () => {
    expect(parseManifest(JSON.stringify({ url: 'v42.kvs', sha256: 'A'.repeat(64), version: '42' }), AT)).toEqual({
      url: 'https://datasets.example/kv/v42.kvs',
      sha256: SHA,
      version: '42',
    });
    expect(parseManifest(JSON.stringify({ url: '../other/v1.data', sha256: SHA }), AT)).toEqual({
      url: 'https://datasets.example/other/v1.data',
      sha256: SHA,
      version: undefined,
    });
  });

  it('keeps an absolute url as it is, query string included (it may be a presigned URL)', () => {
    const url = 'https://bucket.example/v1.kvs?sig=abc';
    expect(parseManifest(JSON.stringify({ url, sha256: SHA }), AT).url).toBe(url);
  });

  it.each([
    ['{"url": "v1.kvs",', /is not JSON/],
    ['[1, 2]', /is not a JSON object/],
    ['null', /is not a JSON object/],
    [JSON.stringify({ url: 'v1.kvs' }), /"sha256" is missing, expected the data file's SHA-256: 64 hexadecimal digits/],
    [JSON.stringify({ url: 'v1.kvs', sha256: 'abc' }), /"sha256" is "abc", expected/],
    [JSON.stringify({ sha256: SHA }), /"url" is missing, expected/],
    [JSON.stringify({ url: '', sha256: SHA }), /"url" is "", expected a non-empty string/],
    [JSON.stringify({ url: 'v1.kvs', sha256: SHA, version: 3 }), /"version" is 3, expected a string/],
    [
      JSON.stringify({ url: 'file:///etc/passwd', sha256: SHA }),
      /"url" "file:\/\/\/etc\/passwd" cannot be downloaded: it is file, not http or https/,
    ],
    [
      JSON.stringify({ url: 'http://x:99999/v1.kvs?sig=secret', sha256: SHA }),
      /"url" "http:\/\/x:99999\/v1.kvs" cannot be downloaded: it is not a URL/,
    ],
    [
      JSON.stringify({ url: 'http://svc:secret@h/v1.kvs?sig=secret', sha256: SHA }),
      /"url" "http:\/\/h\/v1.kvs" cannot be downloaded: it holds user:password@/,
    ],
    [
      JSON.stringify({ url: 42, sha256: SHA }),
      /"url" is 42, expected a non-empty string: the data file, absolute or relative to the manifest$/,
    ],
  ])('refuses %s, naming what is wrong', (text, expected) => {
    const message = refusal(text);
    expect(message).toMatch(/^The manifest https:\/\/datasets\.example\/kv\/current\.json /);
    expect(message).toMatch(expected);
    expect(message).not.toContain('secret');
  });
});
