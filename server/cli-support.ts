import type { BridgeConfig } from './config';
import { openDatabase, hasPendingMigrations, migrate } from './db/database';
import { ApiKeyService, parseScopes } from './auth/api-key.service';

/** Opens the database for a one-shot CLI command, applying migrations if the config says so. */
export async function withApiKeys(c: BridgeConfig, fn: (keys: ApiKeyService, scopes: typeof parseScopes) => Promise<void>): Promise<void> {
  const ds = await openDatabase(c);
  try {
    if (c.migrateOnStart) await migrate(ds);
    else if (await hasPendingMigrations(ds)) throw new Error('database migrations are pending: run `npm run migrate` first');
    await fn(new ApiKeyService(ds), parseScopes);
  } finally {
    await ds.destroy();
  }
}
