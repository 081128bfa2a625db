import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, MinLength } from 'class-validator';

export const BATCH_LIMIT = 1000;

/** Body of `POST /keys/_mget`. */
export class BatchLookupRequest {
  @ApiProperty({ type: [String], minItems: 1, maxItems: BATCH_LIMIT, example: ['alpha', 'beta'] })
  // class-validator checks from the property upwards and, with the pipe's
  // stopAtFirstError, reports the first rule broken: so the shape comes first (nearest
  // the property), the elements last. `{}` then reads "must be an array", not five rules.
  @MinLength(1, { each: true, message: 'keys must not contain an empty string' })
  @IsString({ each: true, message: 'keys must contain only strings' })
  @ArrayMaxSize(BATCH_LIMIT, { message: `keys must hold at most ${BATCH_LIMIT} keys` })
  @ArrayMinSize(1, { message: 'keys must hold at least 1 key' })
  @IsArray({ message: 'keys must be an array of strings' })
  keys!: string[];
}

export interface BatchLookupResponse {
  found: Record<string, string>;
  missing: string[];
}
