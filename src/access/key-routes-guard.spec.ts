import { isKeyRoute } from './key-routes-guard.js';

describe('isKeyRoute', () => {
  it.each(['/keys', '/keys/*', '/keys/_mget', '/key/*'])('covers %s', (pattern) => {
    expect(isKeyRoute(pattern)).toBe(true);
  });

  it.each(['/keysfoo', '/key', '/keyring/*', '/health/ready', '/dataset', '/metrics', '/docs/*', '/admin/reload', '/'])(
    'leaves %s open',
    (pattern) => {
      expect(isKeyRoute(pattern)).toBe(false);
    },
  );
});
