import { ConfigurationError, validateEnvironment } from './environment.js';

describe('validateEnvironment', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(validateEnvironment({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataFilePath: 'data/example.data',
      onMalformed: 'fail',
      logLevel: 'info',
      shutdownDelayMs: 0,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(validateEnvironment({ PORT: '', KV_ON_MALFORMED: '', LOG_LEVEL: '' })).toMatchObject({
      port: 8080,
      onMalformed: 'fail',
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    expect(
      validateEnvironment({
        PORT: '65535',
        HOST: '127.0.0.1',
        KV_DATA_FILE_PATH: '/data/kv.data',
        KV_ON_MALFORMED: 'SKIP',
        LOG_LEVEL: 'Debug',
        KV_SHUTDOWN_DELAY_MS: '5000',
      }),
    ).toEqual({
      port: 65535,
      host: '127.0.0.1',
      dataFilePath: '/data/kv.data',
      onMalformed: 'skip',
      logLevel: 'debug',
      shutdownDelayMs: 5000,
    });
  });

  it.each(['-1', '1.5', 'soon', '1000000'])('refuses KV_SHUTDOWN_DELAY_MS=%p', (delay) => {
    expect(() => validateEnvironment({ KV_SHUTDOWN_DELAY_MS: delay })).toThrow(/KV_SHUTDOWN_DELAY_MS=.* milliseconds/);
  });

  it.each(['0', '1', '80', '8080', '9999', '10000', '59999', '65535'])('accepts PORT=%s', (port) => {
    expect(validateEnvironment({ PORT: port }).port).toBe(Number(port));
  });

  it.each(['65536', '70000', '99999', '-1', '08080', '80.5', '0x50', ' 80', 'eighty'])('refuses PORT=%p', (port) => {
    expect(() => validateEnvironment({ PORT: port })).toThrow(ConfigurationError);
    expect(() => validateEnvironment({ PORT: port })).toThrow(
      /PORT=.* is not valid: expected an integer from 0 to 65535/,
    );
  });

  it('names every bad variable in one paragraph', () => {
    let message = '';
    try {
      validateEnvironment({ PORT: 'x', KV_ON_MALFORMED: 'ignore', LOG_LEVEL: 'loud', HOST: 'a b' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration: /);
    expect(message).not.toContain('\n');
    for (const name of ['PORT="x"', 'KV_ON_MALFORMED="ignore"', 'LOG_LEVEL="loud"', 'HOST="a b"']) {
      expect(message).toContain(name);
    }
    expect(message).toContain('"fail" or "skip"');
  });
});
