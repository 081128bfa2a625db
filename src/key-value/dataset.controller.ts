import { Controller, Get, Header } from '@nestjs/common';
import { DataLoaderService, type DatasetReport } from './data-loader.service.js';

@Controller('dataset')
export class DatasetController {
  constructor(private readonly loader: DataLoaderService) {}

  /** The serving dataset's summary and the outcome of the last reload. */
  @Get()
  @Header('cache-control', 'no-store')
  describe(): DatasetReport {
    return this.loader.report();
  }
}
