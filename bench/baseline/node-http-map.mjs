#!/usr/bin/env node
// A second yardstick: plain node:http and a Map, no framework at all. The floor of what
// a Node server can spend per look-up; Fastify's cost shows as the gap to it.
//
//   KV_DATA_FILE_PATH=data/example.data PORT=8082 node bench/baseline/node-http-map.mjs
import { createServer } from 'node:http';
import { loadMap } from './load-map.mjs';

const store = loadMap(process.env.KV_DATA_FILE_PATH ?? 'data/example.data');
const NOT_FOUND = JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'Key not found' });
const JSON_TYPE = 'application/json; charset=utf-8';

function send(response, status, body) {
  response.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url.startsWith('/keys/')) {
    let key;
    try {
      key = decodeURIComponent(request.url.slice('/keys/'.length).split('?')[0]);
    } catch {
      return send(response, 400, JSON.stringify({ statusCode: 400, error: 'Bad Request', message: 'Invalid key' }));
    }
    const value = store.get(key);
    return value === undefined ? send(response, 404, NOT_FOUND) : send(response, 200, JSON.stringify({ [key]: value }));
  }
  if (request.url === '/health/ready') return send(response, 200, '{"status":"ok"}');
  return send(response, 404, JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'Not Found' }));
});
server.listen(Number(process.env.PORT ?? 8082), process.env.HOST ?? '127.0.0.1');
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
