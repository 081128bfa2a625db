import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { reusePortWorks } from '../../test/support/listening-sockets.js';
import { probePort, supportsReusePort } from './accept-listeners.js';

describe('supportsReusePort', () => {
  it.each([
    ['20.20.2', false],
    ['22.11.0', false],
    ['22.12.0', true],
    ['22.20.1', true],
    ['23.0.0', false],
    ['23.1.0', true],
    ['24.0.0', true],
    ['26.1.0', true],
  ])('Node %s: %p', (version, expected) => {
    expect(supportsReusePort(version)).toBe(expected);
  });

  it(`agrees with what this runtime does (Node ${process.versions.node}): two sockets on one port`, async () => {
    expect(supportsReusePort()).toBe(await reusePortWorks());
  });
});

describe('probePort', () => {
  it('picks a free port for 0 and releases it', async () => {
    const port = await probePort('127.0.0.1', 0);
    expect(port).toBeGreaterThan(0);
    const server: Server = createHttpServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    server.close();
  });

  it('fails with EADDRINUSE for a taken port', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(probePort('127.0.0.1', port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      holder.close();
    }
  });
});
