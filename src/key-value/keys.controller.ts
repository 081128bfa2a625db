import { Controller, Get, Req, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../common/error-envelope.js';
import { chooseRepresentation } from './content-negotiation.js';
import { DataLoaderService } from './data-loader.service.js';
import { keyFromUrl } from './key-path.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
// The hot path answers misses and bad keys with bodies serialized once, here, instead
// of throwing exceptions (a stack trace per request) through Nest's filters.
const NOT_FOUND_BODY = errorBody(404, 'Key not found');
const BAD_KEY_BODY = errorBody(
  400,
  'Invalid key: it must be non-empty, valid percent-encoded UTF-8, without whitespace',
);

const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
  required: ['statusCode', 'error', 'message'],
};
const lookUpSchema = {
  response: {
    200: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1, maxProperties: 1 },
    '4xx': errorSchema,
  },
};

/**
 * `GET /keys/{key}` and the original service's `GET /key/{key}`. The key is read from
 * the raw URL (see `keyFromUrl`), so the router's parameter parsing is never involved.
 * Fastify answers `HEAD` for every `GET` route with the same headers and no body.
 */
@Controller()
export class KeysController {
  constructor(private readonly loader: DataLoaderService) {}

  @Get('keys/*')
  @RouteSchema(lookUpSchema)
  lookUp(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.answer(request, reply, '/keys/'.length);
  }

  @Get('key/*')
  @RouteSchema(lookUpSchema)
  lookUpLegacy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.answer(request, reply, '/key/'.length);
  }

  private answer(request: FastifyRequest, reply: FastifyReply, prefixLength: number): void {
    reply.header('vary', 'Accept');
    const key = keyFromUrl(request.url, prefixLength);
    if (key === undefined) {
      reply.code(400).type(JSON_TYPE).send(BAD_KEY_BODY);
      return;
    }
    const value = this.loader.dataset.store.get(key);
    if (value === undefined) {
      reply.code(404).type(JSON_TYPE).send(NOT_FOUND_BODY);
      return;
    }
    if (chooseRepresentation(request.headers.accept) === 'raw') {
      reply.type(TEXT_TYPE).send(value);
    } else {
      // A string body with a JSON content type is sent as it is, so this is the whole serialization.
      reply.type(JSON_TYPE).send(`{${JSON.stringify(key)}:${JSON.stringify(value)}}`);
    }
  }
}
