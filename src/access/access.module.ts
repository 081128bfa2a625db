import { Module } from '@nestjs/common';
import { DatasetModule } from '../dataset/dataset.module.js';
import { ApiKeysService } from './api-keys.service.js';
import { ClientRolesModule } from './client-roles.module.js';

/**
 * Access control on /keys and /key: API keys (KV_API_KEYS, KV_API_KEYS_FILE) or client
 * roles (KV_ACCESS_FILE); the checks themselves are Fastify hooks.
 */
@Module({
  imports: [DatasetModule, ClientRolesModule],
  providers: [ApiKeysService],
  exports: [ApiKeysService, ClientRolesModule],
})
export class AccessModule {}
