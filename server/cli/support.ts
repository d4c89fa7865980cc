import type { BridgeConfig } from '../config';
import { openDatabase, hasPendingMigrations, migrate } from '../db/database';
import { ApiKeyService, parseScopes } from '../auth/api-key.service';

/** Opens the database for a one-shot CLI command, applying migrations if the config says so. */
export async function withApiKeys(c: BridgeConfig, fn: (keys: ApiKeyService, scopes: typeof parseScopes) => Promise<void>): Promise<void> {
  const db = await openDatabase(c);
  try {
    if (c.migrateOnStart) await migrate(db);
    else if (await hasPendingMigrations(db)) throw new Error('database migrations are pending: run `npm run migrate` first');
    await fn(new ApiKeyService(db), parseScopes);
  } finally {
    await db.close();
  }
}
