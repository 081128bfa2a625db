import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './haproxy.js';
import { debianBinary } from './debian-binary.js';

/**
 * A real nginx (Debian's `nginx-light`; .ci/run installs it when missing) serving a
 * temporary directory on 127.0.0.1, as a static web server or an object store's
 * website endpoint would serve published datasets: ETags and `If-None-Match`,
 * `Last-Modified` and `If-Modified-Since` as nginx does them.
 *
 * Locations besides the root:
 * - `/slow/` serves the same files at `slowRate` bytes per second (the stall tests);
 * - `/throttled/` serves them at `throttledRate` bytes per second (a download that takes a while);
 * - `/no-etag/` serves them without an ETag (conditional requests by date only);
 * - `/unconditional/` ignores conditional requests: 200 with the same ETag (when the
 *   request carries `If-Modified-Since`, as kv-server's polls do);
 * - `/status/204`, `/status/404`, `/status/500` answer that status;
 * - `/moved/...` redirects (302) to the same path under the root.
 */
export const nginxBinary = (): string => debianBinary('nginx', 'nginx-light');

export class Nginx {
  port = 0;
  /** The directory nginx serves: write published files here. */
  root = '';
  private dir = '';
  private child: ChildProcess | undefined;
  private output = '';
  private exited: Promise<number | string> | undefined;

  constructor(
    private readonly slowRate = 1,
    private readonly throttledRate = 4096,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'kv-nginx-'));
    this.root = join(this.dir, 'www');
    await mkdir(this.root);
    this.port = await freePort();
    const config = join(this.dir, 'nginx.conf');
    await writeFile(config, this.config());
    const child = spawn(nginxBinary(), ['-p', this.dir, '-c', config, '-e', join(this.dir, 'error.log')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.output += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.output += text));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}):\n${await this.errors()}`);
      try {
        await fetch(`${this.baseUrl}/status/204`);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`nginx did not answer:\n${await this.errors()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Stops nginx by its PID and removes its files. */
  async stop(): Promise<void> {
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    if (this.dir !== '') await rm(this.dir, { recursive: true, force: true });
  }

  /** The access log: one line per request, `METHOD URI STATUS "If-None-Match" "If-Modified-Since"`. */
  async accessLog(): Promise<string[]> {
    const text = await readFile(join(this.dir, 'access.log'), 'utf8').catch(() => '');
    return text.split('\n').filter((line) => line !== '' && !line.includes('/status/204'));
  }

  private async errors(): Promise<string> {
    const log = await readFile(join(this.dir, 'error.log'), 'utf8').catch(() => '');
    return `${this.output}\n${log}`;
  }

  private config(): string {
    return `
daemon off;
master_process off;
worker_processes 1;
pid ${join(this.dir, 'nginx.pid')};
error_log ${join(this.dir, 'error.log')} info;
events { worker_connections 256; }
http {
  types { application/json json; }
  default_type application/octet-stream;
  log_format kv '$request_method $request_uri $status "$http_if_none_match" "$http_if_modified_since"';
  access_log ${join(this.dir, 'access.log')} kv;
  client_body_temp_path ${join(this.dir, 'tmp')};
  proxy_temp_path ${join(this.dir, 'tmp')};
  fastcgi_temp_path ${join(this.dir, 'tmp')};
  uwsgi_temp_path ${join(this.dir, 'tmp')};
  scgi_temp_path ${join(this.dir, 'tmp')};
  server {
    listen 127.0.0.1:${this.port};
    root ${this.root};
    etag on;
    location = /status/204 { return 204; }
    location = /status/404 { return 404; }
    location = /status/500 { return 500; }
    location /slow/ {
      alias ${this.root}/;
      limit_rate ${this.slowRate};
      sendfile off;
      output_buffers 1 1;
      postpone_output 0;
    }
    location /throttled/ {
      alias ${this.root}/;
      limit_rate ${this.throttledRate};
      sendfile off;
      # Read the file as it is sent, so that a change in place shows in the download.
      output_buffers 1 1k;
    }
    location /no-etag/ {
      alias ${this.root}/;
      etag off;
    }
    location /unconditional/ {
      alias ${this.root}/;
      if_modified_since off;
    }
    location /moved/ {
      rewrite ^/moved/(.*)$ /$1 redirect;
    }
  }
}
`;
  }
}
