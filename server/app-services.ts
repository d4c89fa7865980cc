import type { DataSource } from 'typeorm';
import type { BridgeConfig } from './config';
import type { ApiKeyService } from './auth/api-key.service';
import type { SystemService } from './system.service';
import type { OdooModelService } from './odoo/odoo-model.service';
import type { SchemaHealthService } from './db/schema-health.service';
import type { SyncService } from './sync/sync.service';

/** Everything an RPC handler may call. Built once in bootstrap.ts. */
export interface AppServices {
  config: BridgeConfig;
  ds: DataSource;
  apiKeys: ApiKeyService;
  system: SystemService;
  odoo: OdooModelService;
  schema: SchemaHealthService;
  sync: SyncService;
}
