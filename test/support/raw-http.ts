import { connect } from 'node:net';

/**
 * HTTP/1.1 over a bare socket, for requests no HTTP client would send (bytes that are
 * not a valid request line, header or body) and for reading exactly what the server
 * answers. The request is written and the socket left open (a half-closed one is a
 * client gone, to Node, which drops what it was still answering); the exchange ends
 * when the server has sent a whole response, or closes, or after `timeoutMs`.
 */

export interface RawExchange {
  /** Every byte the server sent. */
  received: Buffer;
  /** The server closed the connection. */
  closed: boolean;
}

export function rawExchange(port: number, request: Buffer, timeoutMs = 5_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (holdsWholeResponse(received)) finish(false);
    });
    socket.on('end', () => finish(true));
    // The server may reset a connection it refuses while the request is still being
    // written; what it sent before counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish(true);
      else {
        clearTimeout(timer);
        reject(error);
      }
    });
  });
}

/** A head and as many body bytes as its Content-Length says (a HEAD answer ends at close). */
function holdsWholeResponse(received: Buffer): boolean {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(received.toString('latin1', 0, end));
  return length !== null && received.length - end - 4 >= Number(length[1]);
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** What follows the head (the body, and whatever came after it). */
  rest: Buffer;
}

const STATUS_LINE = /^HTTP\/1\.1 ([1-5]\d\d) ([\t -~]*)$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/**
 * The head of the first response in `bytes`: an HTTP/1.1 status line, header lines
 * (RFC 9112 field syntax) and the empty line that ends them. Throws, saying what is
 * wrong, when `bytes` does not start with one.
 */
export function parseResponseHead(bytes: Buffer): ResponseHead {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(bytes.toString('latin1', 0, 300))}`);
  const [statusLine, ...headerLines] = bytes.toString('latin1', 0, end).split('\r\n');
  const status = STATUS_LINE.exec(statusLine);
  if (status === null) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const header = HEADER_LINE.exec(line);
    if (header === null) throw new Error(`not a header line: ${JSON.stringify(line)}`);
    const name = header[1].toLowerCase();
    headers[name] = name in headers ? `${headers[name]}, ${header[2]}` : header[2];
  }
  return { status: Number(status[1]), reason: status[2], headers, rest: bytes.subarray(end + 4) };
}

/**
 * A request with a body framed by `Content-Length`, or chunked. `head` is the request
 * line and header lines, without the line ending after the last one.
 */
export function frameRequest(head: string | Buffer, body: Buffer | undefined, chunked = false): Buffer {
  const headBytes = typeof head === 'string' ? Buffer.from(head, 'latin1') : head;
  if (body === undefined) return Buffer.concat([headBytes, Buffer.from('\r\n\r\n')]);
  if (!chunked) {
    return Buffer.concat([headBytes, Buffer.from(`\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  }
  const chunk = body.length === 0 ? [] : [Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')];
  return Buffer.concat([
    headBytes,
    Buffer.from('\r\nTransfer-Encoding: chunked\r\n\r\n'),
    ...chunk,
    Buffer.from('0\r\n\r\n'),
  ]);
}
