import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, haproxyBinary } from './haproxy.js';
import { fillIn, readExample, startProxyProcess, type ProxyProcess } from './proxy-process.js';

/**
 * A real HAProxy (Debian's `haproxy`) with its built-in cache in front of kv-server,
 * running the documented example (docs/examples/haproxy-cache.cfg) on a free port.
 */

export const HAPROXY_EXAMPLE = 'haproxy-cache.cfg';

export interface HAProxyCache extends ProxyProcess {
  baseUrl: string;
}

export async function startHAProxyCache(upstreamPort: number): Promise<HAProxyCache> {
  const binary = haproxyBinary();
  const dir = await mkdtemp(join(tmpdir(), 'kv-haproxy-cache-'));
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  await writeFile(
    config,
    fillIn(await readExample(HAPROXY_EXAMPLE), [
      ['bind :8081', `bind 127.0.0.1:${port}`],
      ['server kv 127.0.0.1:8080', `server kv 127.0.0.1:${upstreamPort}`],
    ]),
  );
  try {
    // -db: in the foreground, so that the PID started is the one stopped.
    const proxy = await startProxyProcess(binary, ['-db', '-f', config], port);
    return {
      ...proxy,
      baseUrl: `http://127.0.0.1:${port}`,
      async stop() {
        await proxy.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
