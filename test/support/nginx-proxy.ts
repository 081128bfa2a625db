import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './haproxy.js';
import { nginxBinary } from './nginx.js';
import { fillIn, readExample, startProxyProcess, type ProxyProcess } from './proxy-process.js';

/**
 * A real nginx (Debian's `nginx-light`; .ci/run installs it when missing) as a caching
 * reverse proxy in front of kv-server, running the documented example
 * (docs/examples/nginx-cache.conf) on a free port, with its files in a temporary
 * directory.
 */

export const NGINX_EXAMPLE = 'nginx-cache.conf';

export { nginxBinary };

export interface NginxProxy extends ProxyProcess {
  baseUrl: string;
}

/**
 * Starts nginx with `site` (the example, or a variant of it: what goes in the `http`
 * block, listening on 8081 and proxying to 127.0.0.1:8080) pointed at kv-server on
 * `upstreamPort`.
 */
export async function startNginxProxy(upstreamPort: number, site?: string): Promise<NginxProxy> {
  const binary = nginxBinary();
  const dir = await mkdtemp(join(tmpdir(), 'kv-nginx-'));
  const port = await freePort();
  const filled = fillIn(site ?? (await readExample(NGINX_EXAMPLE)), [
    ['listen 8081;', `listen 127.0.0.1:${port};`],
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${upstreamPort};`],
    ['/var/cache/nginx/kv-server', join(dir, 'cache')],
  ]);
  const config = join(dir, 'nginx.conf');
  await writeFile(config, mainConfig(dir, filled));
  try {
    const proxy = await startProxyProcess(binary, ['-p', dir, '-e', join(dir, 'error.log'), '-c', config], port);
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

/**
 * The rest of nginx.conf, around the site: in the foreground, every file in `dir`, and
 * workers running as this user (as root, nginx would otherwise switch them to `nobody`,
 * who cannot write the temporary directory).
 */
function mainConfig(dir: string, site: string): string {
  return [
    'daemon off;',
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 256; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`),
    site,
    '}',
    '',
  ].join('\n');
}
