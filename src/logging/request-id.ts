import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A caller's id is kept when it is 1 to 200 visible ASCII characters: it is echoed in a
 * response header and written to the logs, so nothing that could split a header or a
 * log line, and nothing unbounded.
 */
const ACCEPTABLE_ID = /^[\x21-\x7e]{1,200}$/;

/** Per process, so ids from different replicas and restarts do not collide. */
const PROCESS_PREFIX = randomBytes(6).toString('base64url');
let sequence = 0;

/**
 * Fastify's `genReqId`: the caller's `X-Request-Id` when acceptable, else a new id made
 * of the process prefix and a counter (cheaper than a random UUID per request).
 */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  if (typeof given === 'string' && ACCEPTABLE_ID.test(given)) return given;
  sequence = sequence === Number.MAX_SAFE_INTEGER ? 1 : sequence + 1;
  return `${PROCESS_PREFIX}-${sequence.toString(36)}`;
}
