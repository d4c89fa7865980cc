import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ENTITIES } from './entities';
import { SQLITE_SPELLING } from './entities/column-types';
import { SnakeNamingStrategy } from './entities/naming-strategy';
import { MIGRATIONS } from './migrations';

export type DatabaseTarget = { type: 'postgres'; url: string } | { type: 'sqlite'; path: string };

/**
 * A DataSource whose column types are resolved for its own dialect when its metadata is built:
 * entities carry PostgreSQL's spelling, SQLite gets its own.
 */
export class BridgeDataSource extends DataSource {
  protected override async buildMetadatas(): Promise<void> {
    if (this.options.type === 'postgres') return super.buildMetadatas();
    // The validator runs inside super.buildMetadatas(): let it accept the canonical spellings,
    // then store SQLite's, which is what the driver converts values by.
    const supported = this.driver.supportedDataTypes as string[];
    for (const t of Object.keys(SQLITE_SPELLING)) if (!supported.includes(t)) supported.push(t);
    await super.buildMetadatas();
    for (const meta of this.entityMetadatas) {
      for (const col of meta.columns) {
        const spelled = typeof col.type === 'string' ? SQLITE_SPELLING[col.type] : undefined;
        if (spelled) col.type = spelled as typeof col.type;
      }
    }
  }
}

export interface SqliteConnectionOptions {
  /** A read-only connection beside the writer: sees only committed data (WAL), never writes. */
  readonly?: boolean;
}

/** TypeORM options for a database; `synchronize` is never on — migrations own the schema. */
export function dataSourceOptions(database: DatabaseTarget, sqlite: SqliteConnectionOptions = {}): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    logging: false,
  } as const;
  if (database.type === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: database.url,
      // One transaction per migration, so a failure leaves the earlier ones applied and the lock released.
      migrationsTransactionMode: 'each',
      extra: { max: 10, statement_timeout: 60_000, idle_in_transaction_session_timeout: 120_000 },
    };
  }
  mkdirSync(dirname(database.path), { recursive: true });
  if (sqlite.readonly) {
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      readonly: true,
      fileMustExist: true,
      // The writer put the file in WAL mode (a persistent setting); a reader cannot set it.
      enableWAL: false,
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('busy_timeout = 10000');
      },
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    migrationsTransactionMode: 'each',
    // WAL: the read-only connection (server/db/db.ts) reads the last commit while the writer writes.
    enableWAL: true,
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('busy_timeout = 10000');
      // WAL is durable across crashes with synchronous=NORMAL; only the last commits of a power cut can be lost.
      db.pragma('synchronous = NORMAL');
    },
  };
}

export function createDataSource(database: DatabaseTarget, sqlite: SqliteConnectionOptions = {}): DataSource {
  return new BridgeDataSource(dataSourceOptions(database, sqlite));
}
