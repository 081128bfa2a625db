import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatasetModule } from '../dataset/dataset.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule, DatasetModule],
  controllers: [HealthController],
})
export class HealthModule {}
