import { IsOptional, IsString, Matches } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/**
 * Query of `GET /keys`. Everything arrives as a string; a repeated parameter is an array
 * and fails. Rules run from the property upwards and the first broken one is reported
 * (stopAtFirstError): "given once" sits nearest, so `?limit=1&limit=2` says that alone.
 */
export class KeyListingQuery {
  @IsOptional()
  @IsString({ message: 'prefix must be given once' })
  prefix?: string;

  @IsOptional()
  @Matches(/^(1000|[1-9]\d{0,2})$/, { message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  @IsString({ message: 'limit must be given once' })
  limit?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be the nextCursor of a previous page' })
  @IsString({ message: 'cursor must be given once' })
  cursor?: string;
}

export interface KeyListingResponse {
  keys: string[];
  nextCursor: string | null;
}
