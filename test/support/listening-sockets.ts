import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type ListenOptions, type Server } from 'node:net';

/**
 * Listening sockets as the operating system sees them, not as the server reports them:
 * the tests of the extra accept listeners check the server's own count against these.
 */

function listen(server: Server, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Whether this Node.js lets two sockets listen on one port with `reusePort`, found by
 * trying it on 127.0.0.1 (a runtime without the option ignores it, and the second bind
 * fails with EADDRINUSE).
 */
export async function reusePortWorks(): Promise<boolean> {
  const first = createServer();
  const second = createServer();
  try {
    await listen(first, { host: '127.0.0.1', port: 0, reusePort: true });
    const { port } = first.address() as { port: number };
    return await listen(second, { host: '127.0.0.1', port, reusePort: true }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') return false;
        throw error;
      },
    );
  } finally {
    for (const server of [first, second]) if (server.listening) server.close();
  }
}

/**
 * The TCP sockets process `pid` holds listening on 127.0.0.1:`port`, as `ss -ltnp`
 * would list them: /proc/net/tcp's LISTEN entries on that address whose inode is one of
 * the process's file descriptors (Linux).
 */
export function listeningSocketsOf(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while listing
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const address = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const LISTEN = '0A';
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === address && fields[3] === LISTEN && inodes.has(fields[9])).length;
}
