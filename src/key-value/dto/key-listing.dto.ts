import { IsOptional, IsString, Matches } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Query of `GET /keys`. Everything arrives as a string; a repeated parameter is an array and fails. */
export class KeyListingQuery {
  @IsOptional()
  @IsString({ message: 'prefix must be given once' })
  prefix?: string;

  @IsOptional()
  @IsString({ message: 'limit must be given once' })
  @Matches(/^(1000|[1-9]\d{0,2})$/, { message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  limit?: string;

  @IsOptional()
  @IsString({ message: 'cursor must be given once' })
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

export interface KeyListingResponse {
  keys: string[];
  nextCursor: string | null;
}
