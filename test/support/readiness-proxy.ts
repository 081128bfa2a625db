import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A tiny stand-in for a Kubernetes Service in front of several replicas: it polls each
 * backend's readiness endpoint, as the endpoints controller does with readiness
 * probes, and sends each request to the next ready backend (round robin). Like a
 * Service, it never retries: a request that fails at a backend fails for the client.
 */
export class ReadinessProxy {
  private readonly backends = new Map<string, { ready: boolean }>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private server: Server | undefined;
  private poller: NodeJS.Timeout | undefined;
  private next = 0;
  port = 0;

  constructor(private readonly pollMs = 200) {}

  add(baseUrl: string): void {
    this.backends.set(baseUrl, { ready: false });
  }

  remove(baseUrl: string): void {
    this.backends.delete(baseUrl);
  }

  readyCount(): number {
    return [...this.backends.values()].filter((backend) => backend.ready).length;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.forward(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    const poll = () => {
      void this.pollAll().finally(() => {
        if (this.server) this.poller = setTimeout(poll, this.pollMs);
      });
    };
    poll();
  }

  async stop(): Promise<void> {
    clearTimeout(this.poller);
    const server = this.server;
    this.server = undefined;
    this.agent.destroy();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }

  /** Waits until `count` backends report ready. */
  async waitForReady(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.readyCount() < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.readyCount()} of ${count} backends became ready`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async pollAll(): Promise<void> {
    await Promise.all(
      [...this.backends.entries()].map(async ([baseUrl, backend]) => {
        try {
          const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(1000) });
          await response.arrayBuffer();
          backend.ready = response.status === 200;
        } catch {
          backend.ready = false;
        }
      }),
    );
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const ready = [...this.backends.entries()].filter(([, backend]) => backend.ready).map(([url]) => url);
    if (ready.length === 0) {
      res.writeHead(503).end('no ready backend');
      return;
    }
    const target = new URL(req.url ?? '/', ready[this.next++ % ready.length]);
    const upstream = request(
      target,
      { method: req.method, headers: req.headers, agent: this.agent },
      (response: IncomingMessage) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end('backend error');
    });
    req.pipe(upstream);
  }
}
