import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianBinary } from './debian-binary.js';

/**
 * A real HAProxy (Debian's `haproxy` package; .ci/run installs it when missing) in
 * front of replicas on 127.0.0.1, as a load balancer with active health checks would
 * stand in front of pods. Servers are added and removed at run time through HAProxy's
 * runtime API (its admin socket), as an endpoint appears or goes away.
 */

export interface HealthCheck {
  /** The path polled; a server is up while it answers 200. */
  path: string;
  intervalMs: number;
  /** Consecutive failed checks that take a server out. */
  fall: number;
  /** Consecutive passed checks that put it back. */
  rise: number;
}

const BACKEND = 'replicas';

export const haproxyBinary = (): string => debianBinary('haproxy', 'haproxy');

/** A port nothing listens on now (HAProxy cannot bind port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class HAProxy {
  port = 0;
  private child: ChildProcess | undefined;
  private dir = '';
  private output = '';
  private exited: Promise<number | string> | undefined;

  constructor(private readonly check: HealthCheck) {}

  /** Writes a configuration for a frontend on a free port and starts HAProxy in the foreground. */
  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'kv-haproxy-'));
    this.port = await freePort();
    const config = join(this.dir, 'haproxy.cfg');
    await writeFile(config, this.config());
    const child = spawn(haproxyBinary(), ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.output += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.output += text));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}):\n${this.output}`);
      try {
        await this.runtime('show info');
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`haproxy did not open its admin socket:\n${this.output}`);
        await sleep(50);
      }
    }
  }

  /** Stops HAProxy by its PID and removes its files. */
  async stop(): Promise<void> {
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    if (this.dir !== '') await rm(this.dir, { recursive: true, force: true });
  }

  /** Adds a server, with the health check, and lets it take traffic once the check passes. */
  async addServer(name: string, port: number): Promise<void> {
    // The check's request is the backend's (see config()); a dynamic server takes its timing here.
    const { intervalMs, fall, rise } = this.check;
    await this.command(
      `add server ${BACKEND}/${name} 127.0.0.1:${port} check inter ${intervalMs} fall ${fall} rise ${rise}`,
    );
    await this.command(`enable health ${BACKEND}/${name}`);
    await this.command(`enable server ${BACKEND}/${name}`);
  }

  /** Deletes a server: put in maintenance first, then removed once its connections are gone. */
  async removeServer(name: string): Promise<void> {
    await this.command(`disable server ${BACKEND}/${name}`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await this.runtime(`del server ${BACKEND}/${name}`);
      if (/Server deleted/i.test(answer)) return;
      if (Date.now() > deadline) throw new Error(`haproxy would not delete ${name}: ${answer}`);
      await sleep(100);
    }
  }

  /** Each server's status (UP, DOWN, MAINT, ...) and the sessions it has served, from `show stat`. */
  async servers(): Promise<Map<string, { status: string; served: number }>> {
    const csv = await this.runtime('show stat');
    const [header, ...rows] = csv.trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const at = (name: string) => columns.indexOf(name);
    const result = new Map<string, { status: string; served: number }>();
    for (const row of rows.map((line) => line.split(','))) {
      if (row[at('pxname')] !== BACKEND || ['FRONTEND', 'BACKEND'].includes(row[at('svname')])) continue;
      result.set(row[at('svname')], { status: row[at('status')], served: Number(row[at('stot')]) });
    }
    return result;
  }

  async waitForStatus(name: string, status: 'UP' | 'DOWN', timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = (await this.servers()).get(name)?.status ?? '(absent)';
      if (current.startsWith(status)) return;
      if (Date.now() > deadline) throw new Error(`${name} is ${current}, not ${status}, after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /**
   * The configuration: no retries and no redispatch, so that a request the replica
   * fails is a failure the client sees, as with a Service. Timeouts above the app's
   * (30 s to receive a request), as the ingress components set them.
   */
  private config(): string {
    return [
      'global',
      `  stats socket ${join(this.dir, 'admin.sock')} mode 600 level admin`,
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 35s',
      '  timeout server 35s',
      '  timeout http-keep-alive 10s',
      '  retries 0',
      'frontend clients',
      `  bind 127.0.0.1:${this.port}`,
      `  default_backend ${BACKEND}`,
      `backend ${BACKEND}`,
      '  balance roundrobin',
      '  option httpchk',
      `  http-check send meth GET uri ${this.check.path}`,
      '  http-check expect status 200',
      '',
    ].join('\n');
  }

  private async command(command: string): Promise<void> {
    const answer = (await this.runtime(command)).trim();
    // The runtime API answers nothing, or a line of news, on success; errors name themselves.
    if (/error|unknown|not found|cannot|invalid|require/i.test(answer))
      throw new Error(`haproxy: ${command}: ${answer}`);
  }

  /** One command on the admin socket; resolves with HAProxy's answer. */
  private runtime(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(join(this.dir, 'admin.sock'));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => (answer += text));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.end(`${command}\n`);
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
