import { Module } from '@nestjs/common';
import { DatasetModule } from '../dataset/dataset.module.js';
import { ApiKeysService } from './api-keys.service.js';

/** API keys on /keys and /key (KV_API_KEYS, KV_API_KEYS_FILE); the check itself is a Fastify hook. */
@Module({
  imports: [DatasetModule],
  providers: [ApiKeysService],
  exports: [ApiKeysService],
})
export class AccessModule {}
