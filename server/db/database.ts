import { MigrationExecutor, type Migration } from 'typeorm';
import type { BridgeConfig } from '../config';
import { getLogger } from '../logging';
import { Db } from './db';

const log = getLogger('db');

/** Arbitrary but fixed: every bridge instance takes this advisory lock to migrate (and fix_constraints to repair). */
export const MIGRATION_LOCK_KEY = 7_355_608_042;

export function openDatabase(config: Pick<BridgeConfig, 'database'>): Promise<Db> {
  return Db.open(config.database);
}

export interface MigrateResult {
  applied: string[];
}

/**
 * Applies pending migrations. On PostgreSQL under a session advisory lock, so several instances
 * deploying at once apply each migration exactly once: the others wait, then find nothing pending.
 * On SQLite with the writer connection to itself.
 */
export async function migrate(db: Db): Promise<MigrateResult> {
  return db.exclusive(async (ds) => {
    if (db.dialect !== 'postgres') return report(await ds.runMigrations({ transaction: 'each' }));
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      // The pool's 60 s statement_timeout would cut both the wait for another instance's migration
      // and a long migration itself; the deploy step has its own timeout.
      await runner.query('SET statement_timeout = 0');
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY])) as Array<{
        locked: boolean;
      }>;
      if (!locked) {
        log.info('another instance is migrating; waiting for the migration lock');
        await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      }
      try {
        // Migrations run on the connection that holds the lock: if that connection dies, the lock goes with it.
        const executor = new MigrationExecutor(ds, runner);
        executor.transaction = 'each';
        return report(await executor.executePendingMigrations());
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      await runner.query('RESET statement_timeout').catch(() => undefined);
      await runner.release();
    }
  });
}

function report(done: Migration[]): MigrateResult {
  const applied = done.map((m) => m.name);
  for (const name of applied) log.info(`applied migration ${name}`);
  return { applied };
}

/** True when the migrations table is behind the code. */
export async function hasPendingMigrations(db: Db): Promise<boolean> {
  return db.exclusive((ds) => ds.showMigrations());
}
