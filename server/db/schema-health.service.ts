import type { DataSource, QueryRunner } from 'typeorm';
import { UserError, ValidationError } from '../errors';
import { getLogger } from '../logging';
import { MIGRATION_LOCK_KEY } from './database';
import type { Db } from './db';
import { blockersOf } from './schema-blockers';
import { readSequences, renderSql, restoreSequences } from './schema-ddl';
import { block, diffSchema, fixText, MIGRATE_HINT, planSteps, rebuiltTables, refusal, resolved } from './schema-diff';
import { countNullGuid, expectedSchema, liveSchema, migrationStatus } from './schema-introspection';
import type { CheckReport, Finding, FixReport, Query } from './schema-health.types';

export type { CheckReport, FixReport, ProblemKind, SchemaProblem } from './schema-health.types';

const log = getLogger('db');

interface Inspection {
  report: CheckReport;
  findings: Finding[];
  queries: Query[];
}

/**
 * admin.check_constraints / admin.fix_constraints: find and repair a live schema that drifted from
 * the migrations. What is wrong and what to do about it is decided in schema-diff.ts (pure); this
 * class reads the live schema, renders the plan to SQL, looks for blocking rows and runs the repair.
 * Both work on the writer connection lent by `db.exclusive`: on SQLite no write runs meanwhile, so
 * neither introspection nor a table rebuild ever lands inside a sync's transaction.
 */
export class SchemaHealthService {
  constructor(private readonly db: Db) {}

  check(): Promise<CheckReport> {
    return this.db.exclusive((ds) => this.checkOn(ds));
  }

  /**
   * Repairs in one transaction, under the migration lock on PostgreSQL. Every blocker (duplicate
   * rows for a unique key, orphans for a foreign key) is found before anything runs, and then the
   * whole fix is refused: it never deletes data.
   */
  fix(opts: { dryRun?: boolean } = {}): Promise<FixReport> {
    return this.db.exclusive((ds) => this.fixOn(ds, opts.dryRun === true));
  }

  private async checkOn(ds: DataSource): Promise<CheckReport> {
    const qr = ds.createQueryRunner();
    try {
      return (await this.inspect(ds, qr)).report;
    } finally {
      await qr.release();
    }
  }

  private async fixOn(ds: DataSource, dryRun: boolean): Promise<FixReport> {
    const sqlite = this.db.dialect === 'sqlite';
    const qr = ds.createQueryRunner();
    await qr.connect();
    if (sqlite && (qr.isTransactionActive || sqliteInTransaction(ds))) {
      // A guard: db.exclusive keeps the bridge's own writes out, but a transaction opened on the
      // DataSource directly would still be open here, and rebuilding inside it would cascade-delete child rows.
      await qr.release();
      throw new UserError('The database is busy with a write (a sync is storing data); try fix_constraints again in a moment');
    }
    // SQLite: a table rebuild drops the old table, which with foreign keys on would cascade-delete
    // child rows. The pragma is a no-op inside a transaction, so it is switched before BEGIN.
    if (sqlite && !dryRun) await qr.beforeMigration();
    try {
      await qr.startTransaction();
      if (sqlite && !dryRun) {
        const [fk] = (await qr.query('PRAGMA foreign_keys')) as Array<{ foreign_keys: number }>;
        if (fk?.foreign_keys !== 0) throw new UserError('Could not switch off foreign keys for the repair; nothing was changed');
      }
      if (!sqlite) await qr.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const { report, findings, queries } = await this.inspect(ds, qr);
      if (report.migrations.pending.length > 0) {
        throw new UserError(`Migrations are pending (${report.migrations.pending.join(', ')}): ${MIGRATE_HINT} before fixing constraints`);
      }
      const blocked = findings.filter((f) => f.blockers.length > 0);
      if (blocked.length > 0) throw new ValidationError(refusal(blocked));
      const todo = findings.filter((f) => f.actions.length > 0);
      const statements = queries.map((q) => q.query);
      const planned = todo.map((f) => f.problem);
      if (dryRun || queries.length === 0) {
        await qr.rollbackTransaction();
        return { ok: report.ok, dry_run: dryRun, statements, planned, fixed: [], remaining: report.problems };
      }
      const rebuilt = rebuiltTables(
        todo.flatMap((f) => f.actions),
        this.db.dialect,
      );
      const sequences = await readSequences(qr, rebuilt);
      for (const q of queries) await qr.query(q.query, q.parameters);
      for (const t of rebuilt) {
        const bad = (await qr.query(`PRAGMA foreign_key_check(${ds.driver.escape(t)})`)) as unknown[];
        if (bad.length > 0)
          throw new ValidationError(`Rebuilding ${t} would leave ${bad.length} row(s) violating a foreign key; nothing was changed`);
      }
      await restoreSequences(qr, sequences);
      await qr.commitTransaction();
      for (const s of statements) log.info(`fix_constraints: ${s.length > 200 ? `${s.slice(0, 200)}…` : s}`);
      const after = await this.checkOn(ds);
      return { ok: after.ok, dry_run: false, statements, planned, fixed: resolved(planned, after.problems), remaining: after.problems };
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      if (sqlite && !dryRun) await qr.afterMigration().catch(() => undefined);
      await qr.release();
    }
  }

  /** Reads both sides, diffs them, renders the plan to SQL and finds the rows that block it. */
  private async inspect(ds: DataSource, qr: QueryRunner): Promise<Inspection> {
    const dialect = this.db.dialect;
    const expected = expectedSchema(ds);
    const migrations = await migrationStatus(ds, qr);
    const live = await liveSchema(qr, expected);
    const { checked, findings } = diffSchema({ dialect, expected, live, migrations });
    const queries = await renderSql(ds, dialect, planSteps(findings));
    for (const f of findings) if (f.actions.length > 0) f.problem.fix = fixText(f, dialect);
    for (const f of findings) block(f, await blockersOf(ds, qr, dialect, f));
    const report: CheckReport = {
      ok: findings.length === 0,
      dialect,
      checked,
      problems: findings.map((f) => f.problem),
      null_guid_rows: { phases: await countNullGuid(ds, qr, 'phases'), elevations: await countNullGuid(ds, qr, 'elevations') },
      migrations,
    };
    return { report, findings, queries };
  }
}

/** Whether the shared better-sqlite3 connection has a transaction open. */
function sqliteInTransaction(ds: DataSource): boolean {
  return (ds.driver as unknown as { databaseConnection?: { inTransaction?: boolean } }).databaseConnection?.inTransaction === true;
}
