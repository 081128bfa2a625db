import { Module } from '@nestjs/common';
import { ClientRolesService } from './client-roles.service.js';

/**
 * Client roles (KV_ACCESS_FILE). A module of its own, with no imports, because the
 * routes that decide by role (the key routes, POST /admin/reload) and /metrics all
 * need it, and the dataset module must not depend on the API keys' module.
 */
@Module({
  providers: [ClientRolesService],
  exports: [ClientRolesService],
})
export class ClientRolesModule {}
