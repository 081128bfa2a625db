import { createServer, type Server as NetServer } from 'node:net';
import type { Server as HttpServer } from 'node:http';

/**
 * Extra listening sockets on the server's port, for accepting connections fast.
 *
 * Since libuv 1.45 a listening handle accepts one connection per event-loop iteration.
 * A busy server then accepts only tens of connections a second, and when many clients
 * connect at once the kernel's listen queue overflows: clients see multi-second
 * connect times and timeouts. Several listening sockets bound with SO_REUSEPORT give
 * the kernel several queues and libuv several handles, each accepting one connection
 * per iteration; each accepted socket is handed to the HTTP server as if it had
 * accepted it itself.
 *
 * Needs `reusePort` in `listen()` (Node.js 22.12+, 23.1+); elsewhere none are opened.
 */
export function supportsReusePort(version: string = process.versions.node): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Listening sockets a server opens when `KV_EXTRA_LISTENERS` is `auto` and the runtime allows it. */
export const DEFAULT_EXTRA_LISTENERS = 64;

/**
 * Binds `port` on `host` without SO_REUSEPORT and releases it, returning the port (the
 * chosen one for port 0). With SO_REUSEPORT a second server of the same user could bind
 * the same port silently; this probe keeps "port already in use" a clear error.
 */
export function probePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => {
      const address = probe.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      probe.close(() => resolve(bound));
    });
  });
}

export interface AcceptListeners {
  readonly count: number;
  /**
   * Stops accepting on every extra socket (the server's own is closed by the server).
   * It does not wait for the connections they accepted: the HTTP server owns those and
   * closes them as it closes. (`net.Server.close`'s callback would wait for them, and
   * so for idle keep-alive connections the HTTP server has not closed yet.)
   */
  close(): Promise<void>;
}

export async function openAcceptListeners(
  server: HttpServer,
  host: string,
  port: number,
  count: number,
): Promise<AcceptListeners> {
  const listeners: NetServer[] = [];
  const close = () => {
    for (const listener of listeners) listener.close();
    listeners.length = 0;
    return Promise.resolve();
  };
  try {
    for (let i = 0; i < count; i++) {
      const listener = createServer((socket) => server.emit('connection', socket));
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen({ host, port, reusePort: true }, () => {
          listener.off('error', reject);
          resolve();
        });
      });
      listeners.push(listener);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    get count() {
      return listeners.length;
    },
    close,
  };
}
