#!/usr/bin/env node
// The yardstick for `npm run bench`: bare Fastify serving the data file from a Map, the
// simplest way, with kv-server's answers (the same JSON and 404 envelope). kv-server should
// spend no more than ~10% more CPU per request than this.
//
//   KV_DATA_FILE_PATH=data/example.data PORT=8081 node bench/baseline/fastify-map.mjs
import Fastify from 'fastify';
import { loadMap } from './load-map.mjs';

const store = loadMap(process.env.KV_DATA_FILE_PATH ?? 'data/example.data');
const NOT_FOUND = { statusCode: 404, error: 'Not Found', message: 'Key not found' };

const app = Fastify({ logger: false });
app.get('/keys/*', (request, reply) => {
  let key;
  try {
    key = decodeURIComponent(request.params['*']);
  } catch {
    return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'Invalid key' });
  }
  const value = store.get(key);
  if (value === undefined) return reply.code(404).send(NOT_FOUND);
  return reply.send({ [key]: value });
});
app.get('/health/ready', (_request, reply) => reply.send({ status: 'ok' }));

const address = await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 8081) });
// Benchmarks wait for this line before probing fast (bench/lib/readiness.mjs), as for kv-server's.
console.log(`fastify-map listening on ${address}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => app.close().then(() => process.exit(0)));
