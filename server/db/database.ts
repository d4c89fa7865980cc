import type { DataSource, Migration } from 'typeorm';
import { createDataSource } from '../../ormconfig';
import type { BridgeConfig } from '../config';
import { getLogger } from '../logging';

const log = getLogger('db');

/** Arbitrary but fixed: every bridge instance takes this advisory lock to migrate. */
const MIGRATION_LOCK_KEY = 7_355_608_042;

export async function openDatabase(config: BridgeConfig): Promise<DataSource> {
  const ds = createDataSource(config);
  await ds.initialize();
  return ds;
}

export interface MigrateResult { applied: string[] }

/**
 * Applies pending migrations. On PostgreSQL under a session advisory lock, so several instances
 * deploying at once apply each migration exactly once: the others wait, then find nothing pending.
 */
export async function migrate(ds: DataSource): Promise<MigrateResult> {
  if (ds.options.type !== 'postgres') {
    const done = await ds.runMigrations({ transaction: 'each' });
    return report(done);
  }
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return report(await ds.runMigrations({ transaction: 'each' }));
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

function report(done: Migration[]): MigrateResult {
  const applied = done.map((m) => m.name);
  for (const name of applied) log.info(`applied migration ${name}`);
  return { applied };
}

/** True when the migrations table is behind the code. */
export async function hasPendingMigrations(ds: DataSource): Promise<boolean> {
  return ds.showMigrations();
}

/** For /health: the database answers a trivial query. */
export async function databaseAnswers(ds: DataSource): Promise<boolean> {
  try {
    await ds.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
