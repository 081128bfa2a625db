import { Module } from '@nestjs/common';
import { KeyValueModule } from '../key-value/key-value.module.js';
import { ApiKeysService } from './api-keys.service.js';

/** API keys on /keys and /key (KV_API_KEYS, KV_API_KEYS_FILE); the check itself is a Fastify hook. */
@Module({
  imports: [KeyValueModule],
  providers: [ApiKeysService],
  exports: [ApiKeysService],
})
export class AccessModule {}
