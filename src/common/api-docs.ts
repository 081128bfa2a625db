import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

/** OpenAPI schema of the one error envelope. */
export const errorEnvelopeSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 404 },
    error: { type: 'string', example: 'Not Found' },
    message: { type: 'string', example: 'Key not found' },
  },
};

export const datasetVersionHeader = {
  'KV-Dataset-Version': { description: 'Version of the dataset that answered', schema: { type: 'string' } },
};

/** Documents error answers of a route, each in the error envelope. */
export function ApiErrors(...errors: [status: number, description: string][]): MethodDecorator {
  return applyDecorators(
    ...errors.map(([status, description]) => ApiResponse({ status, description, schema: errorEnvelopeSchema })),
  );
}
