import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { KeyValueModule } from '../key-value/key-value.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule, KeyValueModule],
  controllers: [HealthController],
})
export class HealthModule {}
