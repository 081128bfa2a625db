import { Module } from '@nestjs/common';
import { ClientRolesModule } from '../access/client-roles.module.js';
import { DatasetModule } from '../dataset/dataset.module.js';
import { KeyQueriesController } from './key-queries.controller.js';
import { KeysController } from './keys.controller.js';

/** The key routes: look-ups, batch look-ups and listings, served from the dataset `DatasetModule` holds. */
@Module({
  imports: [DatasetModule, ClientRolesModule],
  controllers: [KeysController, KeyQueriesController],
})
export class KeyValueModule {}
