import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Header,
  HttpCode,
  Query,
  Req,
  Res,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientRolesService } from '../access/client-roles.service.js';
import { ApiErrors, datasetVersionHeader } from '../common/api-docs.js';
import { JsonBodyGuard } from '../common/json-body.guard.js';
import { isPossibleKey } from '../store/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { DatasetService } from '../dataset/dataset.service.js';
import { BatchLookupRequest, type BatchLookupResponse } from './dto/batch-lookup.dto.js';
import { DEFAULT_PAGE_SIZE, KeyListingQuery, type KeyListingResponse } from './dto/key-listing.dto.js';
import { DATASET_VERSION_HEADER } from './http-caching.js';
import { KEY_ROUTES, KeyRoute } from './key-routes.js';
import { keysUnderPrefixes } from './scoped-listing.js';

/** How many out-of-scope keys a refused batch names. */
const NAMED_OUTSIDE_KEYS = 10;

/**
 * Unknown fields are refused rather than ignored: a typo should not pass silently. One
 * problem per field, the first its rules find (see BatchLookupRequest for their order).
 */
const strictValidation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  stopAtFirstError: true,
  validateCustomDecorators: false,
});

/**
 * The queries that are not a single look-up: batch look-up and listing. Both read the
 * serving dataset once, so a whole answer comes from one dataset version.
 */
@ApiTags('keys')
@Controller()
export class KeyQueriesController {
  constructor(
    private readonly datasets: DatasetService,
    private readonly clientRoles: ClientRolesService,
  ) {}

  @KeyRoute(KEY_ROUTES.batchLookUp)
  @HttpCode(200)
  @UseGuards(JsonBodyGuard)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Look up 1 to 1,000 keys at once' })
  @ApiOkResponse({
    description: '`missing` in request order; a key asked twice is reported once, at its first position',
    headers: datasetVersionHeader,
    schema: {
      type: 'object',
      required: ['found', 'missing'],
      properties: {
        found: { type: 'object', additionalProperties: { type: 'string' }, example: { alpha: '1' } },
        missing: { type: 'array', items: { type: 'string' }, example: ['nope'] },
      },
    },
  })
  @ApiErrors(
    [400, 'Not JSON, or failed validation (the message names the field)'],
    [413, 'Body over 1 MiB'],
    [415, 'Missing or non-JSON Content-Type'],
  )
  batchLookUp(
    @Body(strictValidation) body: BatchLookupRequest,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): BatchLookupResponse {
    this.refuseKeysOutsideScope(request, body.keys);
    const { store, summary } = this.datasets.serving;
    reply.header(DATASET_VERSION_HEADER, summary.version);
    // No prototype: a key named "__proto__" must be an ordinary property.
    const found: Record<string, string> = Object.create(null);
    const missing: string[] = [];
    const seen = new Set<string>();
    for (const key of body.keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      const value = isPossibleKey(key) ? store.get(key) : undefined;
      if (value === undefined) missing.push(key);
      else found[key] = value;
    }
    return { found, missing };
  }

  @KeyRoute(KEY_ROUTES.listing)
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List keys in ascending UTF-8 byte order, by prefix, a page at a time' })
  @ApiQuery({
    name: 'prefix',
    required: false,
    description: 'Only keys starting with it (form-decoded: send + as %2B)',
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'Page size, 1 to 1000 (default 100)',
    schema: { type: 'integer' },
  })
  @ApiQuery({ name: 'cursor', required: false, description: 'The nextCursor of the previous page (opaque)' })
  @ApiOkResponse({
    headers: datasetVersionHeader,
    schema: {
      type: 'object',
      required: ['keys', 'nextCursor'],
      properties: {
        keys: { type: 'array', items: { type: 'string' } },
        nextCursor: { type: 'string', nullable: true, description: 'null on the last page' },
      },
    },
  })
  @ApiErrors([400, 'Bad limit or cursor'], [503, 'The key order could not be built; a reload is rebuilding it'])
  async list(
    @Query(strictValidation) query: KeyListingQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<KeyListingResponse> {
    const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = decodeCursor(query.cursor);
      if (after === undefined) throw new BadRequestException('cursor must be the nextCursor of a previous page');
    }
    const prefixes = this.listingPrefixes(request, query.prefix ?? '');
    const { store, summary } = await this.datasets.servingInKeyOrder();
    reply.header(DATASET_VERSION_HEADER, summary.version);
    // One more than asked tells whether another page exists.
    const keys = keysUnderPrefixes(store, prefixes, after, limit + 1);
    const hasMore = keys.length > limit;
    if (hasMore) keys.length = limit;
    return { keys, nextCursor: hasMore ? encodeCursor(keys[keys.length - 1]) : null };
  }

  /**
   * With client roles on, a batch holding any key outside the client's prefixes is
   * refused whole (403, naming up to 10 of them), by the role alone: before any key is
   * looked up.
   */
  private refuseKeysOutsideScope(request: FastifyRequest, keys: readonly string[]): void {
    const client = request.kvClient;
    if (client === undefined) return;
    const outside = [...new Set(keys)].filter((key) => !client.mayRead(key));
    if (outside.length === 0) return;
    this.clientRoles.recordForbidden(client, KEY_ROUTES.batchLookUp.template, 'key outside prefixes');
    const named = outside.slice(0, NAMED_OUTSIDE_KEYS).map((key) => JSON.stringify(key));
    const more = outside.length > NAMED_OUTSIDE_KEYS ? ` and ${outside.length - NAMED_OUTSIDE_KEYS} more` : '';
    throw new ForbiddenException(`Keys outside this client's prefixes: ${named.join(', ')}${more}`);
  }

  /** The prefixes a listing covers: the requested one, or with client roles on, its part inside the client's. */
  private listingPrefixes(request: FastifyRequest, requested: string): string[] {
    const client = request.kvClient;
    if (client === undefined) return [requested];
    const prefixes = client.listingPrefixes(requested);
    if (prefixes.length === 0) {
      this.clientRoles.recordForbidden(client, KEY_ROUTES.listing.template, 'prefix outside prefixes');
      throw new ForbiddenException("The prefix is outside this client's prefixes");
    }
    return prefixes;
  }
}
