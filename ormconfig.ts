import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { getConfig, type BridgeConfig } from './server/config';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './entities/naming-strategy';
import { MIGRATIONS } from './migrations';

/** TypeORM options built from the bridge config; `synchronize` is never on — migrations own the schema. */
export function dataSourceOptions(config: BridgeConfig = getConfig()): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logging: false,
  } as const;
  if (config.database.type === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: config.database.url,
      // One transaction per migration, so a failure leaves the earlier ones applied and the lock released.
      migrationsTransactionMode: 'each',
      extra: { max: 10, statement_timeout: 60_000, idle_in_transaction_session_timeout: 120_000 },
    };
  }
  mkdirSync(dirname(config.database.path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.database.path,
    migrationsTransactionMode: 'each',
    // WAL lets the Odoo-facing reads proceed while a sync writes.
    enableWAL: true,
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('busy_timeout = 10000');
    },
  };
}

export function createDataSource(config: BridgeConfig = getConfig()): DataSource {
  return new DataSource(dataSourceOptions(config));
}
