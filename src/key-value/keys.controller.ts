import { applyDecorators, Controller, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, datasetVersionHeader, errorEnvelopeSchema } from '../common/api-docs.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientRolesService } from '../access/client-roles.service.js';
import { ErrorReply, sendError } from '../common/error-reply.js';
import type { AppConfig } from '../config/environment.js';
import { DatasetService } from '../dataset/dataset.service.js';
import { chooseRepresentation } from './content-negotiation.js';
import { DATASET_VERSION_HEADER, entityTag, ifNoneMatchMatches, successCacheControl } from './http-caching.js';
import { isDecodableTarget, keyFromUrl } from './key-path.js';
import { KEY_ROUTES, KeyRoute } from './key-routes.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
// Misses and bad keys are answered with bodies serialized once, here, instead of
// throwing exceptions (a stack trace per request) through Nest's filters.
const NOT_FOUND = new ErrorReply(404, 'Key not found');
const MALFORMED_URL = new ErrorReply(400, 'Malformed URL: invalid percent-encoding');
const OUTSIDE_PREFIXES = new ErrorReply(403, "The key is outside this client's prefixes");
const BAD_KEY = new ErrorReply(
  400,
  'Invalid key: it must be non-empty, valid percent-encoded UTF-8, without whitespace',
);

/**
 * Response schemas for Fastify. Every body of this route is already serialized (the
 * store's ready JSON entry, or the constant error bodies above), which Fastify sends as
 * it is; the schemas state the shapes and compile a fast serializer for any object body.
 */
const lookUpSchema = {
  response: {
    200: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1, maxProperties: 1 },
    '4xx': errorEnvelopeSchema,
  },
};

const keyParam = ApiParam({
  name: 'key',
  description:
    'The key, percent-encoded as UTF-8; everything after the prefix up to the query string. `/` may be raw or `%2F`; `+` is a plus.',
  example: 'a00087fb-f747-4cb8-adfe-747d23673f27',
});
const lookUpHeaders = {
  ...datasetVersionHeader,
  ETag: { description: 'Strong tag of the representation', schema: { type: 'string' } },
  'Cache-Control': { description: '`public, max-age=N` (KV_CACHE_MAX_AGE), or `no-cache`', schema: { type: 'string' } },
  Vary: { schema: { type: 'string', example: 'Accept' } },
};
const lookUpDocs = applyDecorators(
  keyParam,
  ApiProduces('application/json', 'text/plain'),
  ApiResponse({
    status: 200,
    description: '`{"<key>": "<value>"}`, or with `Accept: text/plain` preferred, the raw value byte for byte',
    headers: lookUpHeaders,
    content: {
      'application/json': {
        schema: { type: 'object', additionalProperties: { type: 'string' }, example: { alpha: '1' } },
      },
      'text/plain': { schema: { type: 'string', example: '1' } },
    },
  }),
  ApiResponse({ status: 304, description: '`If-None-Match` matched the current ETag', headers: lookUpHeaders }),
  ApiErrors(
    [400, 'Invalid percent-encoding, or a key that is empty, holds whitespace or is not UTF-8'],
    [404, 'Key not found'],
  ),
);

/**
 * `GET /keys/{key}` and the original service's `GET /key/{key}`. The key is read from
 * the raw URL (see `keyFromUrl`). Fastify answers `HEAD` for every `GET` route with
 * the same status and headers and no body. The handlers run as plain Fastify handlers
 * (a direct route, see `KeyRoute`): this is the hot path, so nothing of Nest's pipeline wraps it.
 */
@ApiTags('keys')
@Controller()
export class KeysController {
  private readonly cacheControl: string;

  constructor(
    private readonly datasets: DatasetService,
    config: ConfigService<AppConfig, true>,
    private readonly clientRoles: ClientRolesService,
  ) {
    this.cacheControl = successCacheControl(config.get('http', { infer: true }).cacheMaxAgeSeconds);
  }

  @KeyRoute(KEY_ROUTES.lookUp)
  @RouteSchema(lookUpSchema)
  @ApiOperation({ summary: 'Look up a key (GET or HEAD)' })
  @lookUpDocs
  lookUp(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.answer(request, reply, KEY_ROUTES.lookUp.template);
  }

  @KeyRoute(KEY_ROUTES.legacyLookUp)
  @RouteSchema(lookUpSchema)
  @ApiOperation({ summary: "Look up a key: the original service's path, identical to /keys/{key}" })
  @lookUpDocs
  lookUpLegacy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.answer(request, reply, KEY_ROUTES.legacyLookUp.template);
  }

  private answer(request: FastifyRequest, reply: FastifyReply, route: string): void {
    // One read of the serving dataset: a reload during this request cannot mix versions.
    const { store, summary } = this.datasets.serving;
    reply.header('vary', 'Accept').header(DATASET_VERSION_HEADER, summary.version);
    const key = keyFromUrl(request.url);
    if (key === undefined) {
      sendError(reply, isDecodableTarget(request.originalUrl) ? BAD_KEY : MALFORMED_URL);
      return;
    }
    // With client roles on, the access check identified the client; its prefixes judge
    // the decoded key, before the store is asked (a 403 says nothing about the data).
    const client = request.kvClient;
    if (client !== undefined && !client.mayRead(key)) {
      this.clientRoles.forbidden(reply, client, route, 'key outside prefixes', OUTSIDE_PREFIXES);
      return;
    }
    const raw = chooseRepresentation(request.headers.accept) === 'raw';
    const body = raw ? store.getBytes(key) : store.getJsonEntry(key);
    if (body === undefined) {
      sendError(reply, NOT_FOUND);
      return;
    }
    const etag = entityTag(body);
    reply.header('etag', etag).header('cache-control', this.cacheControl);
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined && ifNoneMatchMatches(ifNoneMatch, etag)) {
      reply.code(304).send();
      return;
    }
    // A string or Buffer body with a content type is sent as it is: no serialization here.
    reply.type(raw ? TEXT_TYPE : JSON_TYPE).send(body);
  }
}
