import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './server-process.js';

/**
 * What the caching-proxy tests share: filling the documented example configuration
 * (docs/examples/) with this run's ports, and running the proxy in the foreground until
 * it accepts connections, then stopping it by its PID.
 */

export interface ProxyProcess {
  /** The port clients connect to, on 127.0.0.1. */
  port: number;
  /** What the proxy wrote on stdout and stderr. */
  output(): string;
  /** Stops the process by its PID and waits for it to exit. */
  stop(): Promise<void>;
}

/** A file under docs/examples/, as the documentation shows it. */
export function readExample(name: string): Promise<string> {
  return readFile(join(ROOT, 'docs', 'examples', name), 'utf8');
}

/** docs/caching-proxies.md, which shows each example as it is in docs/examples/. */
export function cachingProxiesDoc(): Promise<string> {
  return readFile(join(ROOT, 'docs', 'caching-proxies.md'), 'utf8');
}

/**
 * `text` with each `[from, to]` replaced. Every `from` must occur exactly once: an
 * example that no longer says what the test expects fails here rather than testing
 * something else.
 */
export function fillIn(text: string, replacements: [from: string, to: string][]): string {
  let filled = text;
  for (const [from, to] of replacements) {
    const occurrences = filled.split(from).length - 1;
    if (occurrences !== 1) throw new Error(`the example holds ${JSON.stringify(from)} ${occurrences} times, not once`);
    filled = filled.replace(from, () => to);
  }
  return filled;
}

/**
 * Starts `binary args` and resolves once 127.0.0.1:`port` accepts a connection; rejects,
 * with the program's output, when it exits first or does not listen within 10 s.
 */
export async function startProxyProcess(binary: string, args: string[], port: number): Promise<ProxyProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${binary} exited (${child.exitCode}):\n${output}`);
    if (await accepts(port)) return { port, output: () => output, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} did not listen on port ${port} in 10 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
