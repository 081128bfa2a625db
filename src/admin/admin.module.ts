import { Module } from '@nestjs/common';
import { KeyValueModule } from '../key-value/key-value.module.js';
import { AdminController } from './admin.controller.js';

@Module({
  imports: [KeyValueModule],
  controllers: [AdminController],
})
export class AdminModule {}
