import type { BridgeConfig } from './config';
import type { Db } from './db/db';
import type { ApiKeyService } from './auth/api-key.service';
import type { SystemService } from './system.service';
import type { OdooModelService } from './odoo/odoo-model.service';
import type { SchemaHealthService } from './db/schema-health.service';
import type { SyncService } from './sync/sync.service';
import type { BridgeMetrics } from './metrics';

/** Everything an RPC handler may call. Built once in bootstrap.ts. */
export interface AppServices {
  config: BridgeConfig;
  db: Db;
  apiKeys: ApiKeyService;
  system: SystemService;
  odoo: OdooModelService;
  schema: SchemaHealthService;
  sync: SyncService;
  metrics: BridgeMetrics;
}
