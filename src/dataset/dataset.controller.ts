import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DatasetService, type DatasetReport } from './dataset.service.js';

@ApiTags('operations')
@Controller('dataset')
export class DatasetController {
  constructor(private readonly datasets: DatasetService) {}

  /** The serving dataset's summary and the outcomes of the last reload and the last check of a remote source. */
  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: "The serving dataset's summary and the last reload's outcome" })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        version: { type: 'string', description: 'Derived from the file content: equal on every replica' },
        source: {
          type: 'string',
          description: 'The data file: its path, or the URL it was downloaded from, without the query string',
        },
        format: {
          type: 'string',
          enum: ['text', 'snapshot'],
          description: 'What the data file is: a text file, or a snapshot built by `kv-server build`',
        },
        keys: { type: 'integer' },
        bytes: { type: 'integer', description: 'File size' },
        lines: { type: 'integer' },
        duplicatesOverridden: { type: 'integer' },
        malformedSkipped: { type: 'integer' },
        loadedAt: { type: 'string', format: 'date-time' },
        loadDurationMs: { type: 'integer' },
        lastReload: {
          nullable: true,
          type: 'object',
          properties: {
            at: { type: 'string', format: 'date-time' },
            trigger: { type: 'string' },
            outcome: { type: 'string', enum: ['success', 'failure'] },
            error: { type: 'string', nullable: true },
          },
        },
        lastPoll: {
          nullable: true,
          type: 'object',
          description:
            'The last check of KV_DATA_URL or KV_MANIFEST_URL (poll, SIGHUP, POST /admin/reload); null before one',
          properties: {
            at: { type: 'string', format: 'date-time' },
            outcome: { type: 'string', enum: ['unchanged', 'updated', 'failure'] },
            error: { type: 'string', nullable: true },
          },
        },
      },
    },
  })
  describe(): DatasetReport {
    return this.datasets.report();
  }
}
