import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, MinLength } from 'class-validator';

export const BATCH_LIMIT = 1000;

/** Body of `POST /keys/_mget`. */
export class BatchLookupRequest {
  @ApiProperty({ type: [String], minItems: 1, maxItems: BATCH_LIMIT, example: ['alpha', 'beta'] })
  @IsArray({ message: 'keys must be an array of strings' })
  @ArrayMinSize(1, { message: 'keys must hold at least 1 key' })
  @ArrayMaxSize(BATCH_LIMIT, { message: `keys must hold at most ${BATCH_LIMIT} keys` })
  @IsString({ each: true, message: 'keys must contain only strings' })
  @MinLength(1, { each: true, message: 'keys must not contain an empty string' })
  keys!: string[];
}

export interface BatchLookupResponse {
  found: Record<string, string>;
  missing: string[];
}
