import type { ServerProcess } from './server-process.js';

/** One line of kv-server's access log (`KV_ACCESS_LOG=true`). */
export interface ServedRequest {
  reqId: string;
  method: string;
  route: string;
  statusCode: number;
}

let markers = 0;

/**
 * Every request kv-server has answered so far, from its access log: what reached it
 * through a proxy, and what did not. A request of the test's own, sent last, marks the
 * end: once its line is read, every earlier answer's line is too (one stdout, in order).
 */
export async function servedRequests(server: ServerProcess): Promise<ServedRequest[]> {
  const marker = `end-of-log-${process.pid}-${++markers}`;
  await (await fetch(`${server.baseUrl}/health/live`, { headers: { 'x-request-id': marker } })).arrayBuffer();
  const deadline = Date.now() + 5_000;
  for (;;) {
    const lines = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => JSON.parse(line) as ServedRequest);
    if (lines.some((line) => line.reqId === marker)) return lines.filter((line) => line.reqId !== marker);
    if (Date.now() > deadline) throw new Error(`kv-server did not log request ${marker}:\n${server.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The statuses kv-server answered to requests with this id, in order. */
export async function statusesServed(server: ServerProcess, requestId: string): Promise<number[]> {
  return (await servedRequests(server)).filter((line) => line.reqId === requestId).map((line) => line.statusCode);
}
