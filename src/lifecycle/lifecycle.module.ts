import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ShutdownService } from './shutdown.service.js';

@Global()
@Module({
  imports: [TerminusModule],
  providers: [ShutdownService],
  exports: [ShutdownService],
})
export class LifecycleModule {}
