import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, validateEnvironment } from './environment.js';

const messageOf = (env: Record<string, string>): string => {
  try {
    validateEnvironment(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
};

describe('validateEnvironment', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(validateEnvironment({})).toEqual({
      http: { port: 8080, host: '0.0.0.0', cacheMaxAgeSeconds: 0, shutdownDelayMs: 0, extraListeners: 'auto' },
      dataset: { filePath: 'data/example.data', onMalformed: 'fail', watch: false },
      remote: {
        source: undefined,
        authFile: undefined,
        pollIntervalSeconds: 0,
        downloadDir: tmpdir(),
        stallTimeoutMs: 30000,
      },
      logging: { level: 'info', accessLog: false },
      access: { apiKeys: undefined, apiKeysFile: undefined, adminToken: undefined },
    });
  });

  it('treats an empty variable as unset', () => {
    const config = validateEnvironment({ PORT: '', KV_ON_MALFORMED: '', LOG_LEVEL: '', KV_API_KEYS: '', KV_WATCH: '' });
    expect(config.http.port).toBe(8080);
    expect(config.dataset).toMatchObject({ onMalformed: 'fail', watch: false });
    expect(config.access.apiKeys).toBeUndefined();
  });

  it('reads every variable, choices in any case', () => {
    expect(
      validateEnvironment({
        PORT: '65535',
        HOST: '127.0.0.1',
        KV_DATA_FILE_PATH: '/data/kv.data',
        KV_ON_MALFORMED: 'SKIP',
        KV_WATCH: 'True',
        KV_CACHE_MAX_AGE: '60',
        KV_SHUTDOWN_DELAY_MS: '5000',
        KV_EXTRA_LISTENERS: '128',
        LOG_LEVEL: 'Debug',
        KV_ACCESS_LOG: 'TRUE',
        KV_API_KEYS: ' k1 ,k2,, ',
        KV_ADMIN_TOKEN: ' admin-secret ',
      }),
    ).toEqual({
      http: { port: 65535, host: '127.0.0.1', cacheMaxAgeSeconds: 60, shutdownDelayMs: 5000, extraListeners: 128 },
      dataset: { filePath: '/data/kv.data', onMalformed: 'skip', watch: true },
      remote: {
        source: undefined,
        authFile: undefined,
        pollIntervalSeconds: 0,
        downloadDir: tmpdir(),
        stallTimeoutMs: 30000,
      },
      logging: { level: 'debug', accessLog: true },
      access: { apiKeys: ['k1', 'k2'], apiKeysFile: undefined, adminToken: 'admin-secret' },
    });
  });

  it.each(['0', '1', '80', '8080', '9999', '10000', '59999', '65535'])('accepts PORT=%s', (port) => {
    expect(validateEnvironment({ PORT: port }).http.port).toBe(Number(port));
  });

  it.each(['65536', '70000', '99999', '-1', '08080', '80.5', '0x50', ' 80', 'eighty'])('refuses PORT=%p', (port) => {
    expect(messageOf({ PORT: port })).toMatch(/PORT=.* is not valid: expected an integer from 0 to 65535/);
  });

  it.each([
    ['KV_SHUTDOWN_DELAY_MS', '-1', /milliseconds/],
    ['KV_SHUTDOWN_DELAY_MS', '1000000', /milliseconds/],
    ['KV_CACHE_MAX_AGE', '1.5', /whole number of seconds/],
    ['KV_CACHE_MAX_AGE', '-5', /whole number of seconds/],
    ['KV_WATCH', 'yes', /"true" or "false"/],
    ['KV_EXTRA_LISTENERS', '1025', /"auto" or a whole number from 0 to 1024/],
    ['KV_EXTRA_LISTENERS', 'many', /"auto"/],
    ['KV_ACCESS_LOG', '1', /"true" or "false"/],
    ['KV_ON_MALFORMED', 'ignore', /"fail" or "skip"/],
    ['LOG_LEVEL', 'loud', /one of fatal, error/],
  ])('refuses %s=%p', (name, value, accepted) => {
    const message = messageOf({ [name]: value });
    expect(message).toContain(`${name}=${JSON.stringify(value)} is not valid`);
    expect(message).toMatch(accepted);
  });

  it('names every bad variable in one paragraph', () => {
    const message = messageOf({ PORT: 'x', KV_ON_MALFORMED: 'ignore', LOG_LEVEL: 'loud', HOST: 'a b' });
    expect(message).toMatch(/^Invalid configuration: /);
    expect(message).not.toContain('\n');
    for (const name of ['PORT="x"', 'KV_ON_MALFORMED="ignore"', 'LOG_LEVEL="loud"', 'HOST="a b"']) {
      expect(message).toContain(name);
    }
  });

  describe('remote sources', () => {
    const digest = 'AB'.repeat(32);

    it('reads a URL with its checksum, the poll interval, the download dir and the auth file', () => {
      expect(
        validateEnvironment({
          KV_DATA_URL: 'https://data.example/kv.data?sig=x',
          KV_DATA_SHA256: digest,
          KV_POLL_INTERVAL: '30',
          KV_DOWNLOAD_DIR: '/var/kv',
          KV_DATA_AUTH_FILE: '/secrets/auth',
        }).remote,
      ).toEqual({
        source: { kind: 'url', url: 'https://data.example/kv.data?sig=x', sha256: 'ab'.repeat(32) },
        authFile: '/secrets/auth',
        pollIntervalSeconds: 30,
        downloadDir: '/var/kv',
        stallTimeoutMs: 30000,
      });
    });

    it('reads a manifest URL', () => {
      expect(validateEnvironment({ KV_MANIFEST_URL: 'http://127.0.0.1:9/current.json' }).remote.source).toEqual({
        kind: 'manifest',
        url: 'http://127.0.0.1:9/current.json',
      });
    });

    it.each([
      [{ KV_DATA_URL: 'ftp://host/file' }, /KV_DATA_URL="ftp:\/\/host\/file" is not valid: expected an absolute http/],
      [{ KV_MANIFEST_URL: 'current.json' }, /KV_MANIFEST_URL="current.json" is not valid/],
      // Accepted by a pattern, refused by the URL parser: each names the variable and the form.
      [
        { KV_DATA_URL: 'http://x:99999/a?sig=S4' },
        /KV_DATA_URL="http:\/\/x:99999\/a" is not valid: expected an absolute http/,
      ],
      [{ KV_DATA_URL: 'http://[::1/a' }, /KV_DATA_URL="http:\/\/\[::1\/a" is not valid/],
      [{ KV_DATA_URL: 'http:/h/file' }, /KV_DATA_URL="http:\/h\/file" is not valid/],
      [{ KV_MANIFEST_URL: 'ftp://h/x?X-Amz-Signature=S8' }, /KV_MANIFEST_URL="ftp:\/\/h\/x" is not valid/],
      [
        { KV_DATA_URL: 'https://user:pw@h/file?sig=S7' },
        /KV_DATA_URL="https:\/\/h\/file" is not valid: .*without user:password@ \(use KV_DATA_AUTH_FILE\)/,
      ],
      [{ KV_DATA_URL: 'http://h/f', KV_DATA_SHA256: 'abc' }, /KV_DATA_SHA256="abc" is not valid: expected a SHA-256/],
      [{ KV_DATA_URL: 'http://h/f', KV_POLL_INTERVAL: '1.5' }, /KV_POLL_INTERVAL="1.5" is not valid/],
      [
        { KV_DATA_FILE_PATH: 'a.data', KV_DATA_URL: 'http://h/f' },
        /KV_DATA_FILE_PATH and KV_DATA_URL each name the source of the dataset: set only one of them/,
      ],
      [
        { KV_DATA_URL: 'http://h/f', KV_MANIFEST_URL: 'http://h/m.json' },
        /KV_DATA_URL and KV_MANIFEST_URL each name the source/,
      ],
      [{ KV_DATA_SHA256: digest }, /KV_DATA_SHA256 is set without KV_DATA_URL/],
      [{ KV_MANIFEST_URL: 'http://h/m.json', KV_DATA_SHA256: digest }, /the manifest's own sha256 is used/],
      [{ KV_POLL_INTERVAL: '5' }, /KV_POLL_INTERVAL is set without KV_DATA_URL or KV_MANIFEST_URL/],
      [{ KV_DATA_AUTH_FILE: '/a' }, /KV_DATA_AUTH_FILE is set without KV_DATA_URL/],
      [{ KV_DATA_URL: 'http://h/f', KV_WATCH: 'true' }, /KV_WATCH=true watches a local file/],
    ])('refuses %p', (env, expected) => {
      const message = messageOf(env);
      expect(message).toMatch(expected);
      expect(message).not.toContain('\n');
      // A query string or user info may hold a secret: never echoed.
      expect(message).not.toMatch(/sig=|Signature|pw@/);
    });
  });

  describe('secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-config-'));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('reads API keys from a file, one per line, trimmed, empties dropped', () => {
      const path = file('keys', 'first\n\n  second  \r\nthird,fourth\n');
      expect(validateEnvironment({ KV_API_KEYS_FILE: path }).access).toMatchObject({
        apiKeys: ['first', 'second', 'third', 'fourth'],
        apiKeysFile: path,
      });
    });

    it('reads the admin token from a file, trimmed', () => {
      expect(validateEnvironment({ KV_ADMIN_TOKEN_FILE: file('token', 's3cret\n') }).access.adminToken).toBe('s3cret');
    });

    it.each([
      [{ KV_API_KEYS: ' , ,' }, /KV_API_KEYS is set but holds no key/],
      [{ KV_API_KEYS_FILE: 'EMPTY' }, /KV_API_KEYS_FILE is set but holds no key/],
      [{ KV_API_KEYS_FILE: '/nonexistent/keys' }, /KV_API_KEYS_FILE="\/nonexistent\/keys" cannot be read \(ENOENT\)/],
      [{ KV_API_KEYS: 'a', KV_API_KEYS_FILE: 'EMPTY' }, /KV_API_KEYS and KV_API_KEYS_FILE are both set/],
      [{ KV_ADMIN_TOKEN: '   ' }, /KV_ADMIN_TOKEN is set but holds no token/],
      [{ KV_ADMIN_TOKEN_FILE: '/nonexistent/token' }, /KV_ADMIN_TOKEN_FILE=.* cannot be read/],
      // A bearer token cannot carry whitespace: such a key would lock its client out.
      [{ KV_API_KEYS: 'key-one,key-two,my key' }, /KV_API_KEYS: key 3 of 3 holds whitespace/],
      [{ KV_API_KEYS_FILE: 'SPACED' }, /KV_API_KEYS_FILE: key 1 of 2 holds whitespace/],
      [{ KV_ADMIN_TOKEN: 'admin\ttoken' }, /KV_ADMIN_TOKEN: the token holds whitespace/],
    ])('refuses %p', (env, expected) => {
      const resolved = Object.fromEntries(
        Object.entries(env).map(([name, value]) => [
          name,
          value === 'EMPTY' ? file('empty', '\n \n') : value === 'SPACED' ? file('spaced', 'a key\nother\n') : value,
        ]),
      );
      const message = messageOf(resolved);
      expect(message).toMatch(expected);
      expect(message).not.toMatch(/my key|a key|admin\ttoken/);
    });

    it('never puts a secret in an error message', () => {
      const message = messageOf({ KV_API_KEYS: 'super-secret-key', KV_API_KEYS_FILE: file('k', 'other-secret') });
      expect(message).not.toContain('super-secret-key');
      expect(message).not.toContain('other-secret');
    });
  });
});
