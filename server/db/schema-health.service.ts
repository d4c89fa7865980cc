import { TableForeignKey, TableIndex, TableUnique, type DataSource, type QueryRunner } from 'typeorm';
import { NULL_GUID } from '../../entities';
import { UserError, ValidationError } from '../errors';
import { getLogger } from '../logging';
import { MIGRATION_LOCK_KEY } from './database';
import { exclusive } from './exclusive';
import {
  describeForeignKey, describeKey, dialectOf, expectedSchema, liveTable, sameForeignKey, satisfies,
  type Dialect, type ForeignKeySpec, type KeySpec, type TableSpec,
} from './schema-introspection';
import type { Action, CheckReport, Finding, FixReport, Query, SchemaProblem } from './schema-health.types';

export type { CheckReport, FixReport, ProblemKind, SchemaProblem } from './schema-health.types';

const log = getLogger('db');

const ORDER: Record<Action['op'], number> = { drop_fk: 0, drop_key: 1, create_key: 2, create_fk: 3 };
const MAX_LISTED = 20;
const MIGRATE_HINT = 'run `logikal-bridge migrate` (npm run migrate)';

/** admin.check_constraints / admin.fix_constraints: find and repair a live schema that drifted from the migrations. */
export class SchemaHealthService {
  private readonly dialect: Dialect;

  constructor(private readonly ds: DataSource) {
    this.dialect = dialectOf(ds);
  }

  async check(): Promise<CheckReport> {
    const qr = this.ds.createQueryRunner();
    try {
      return (await this.inspect(qr)).report;
    } finally {
      await qr.release();
    }
  }

  /**
   * Repairs in one transaction, under the migration lock on PostgreSQL. Every blocker (duplicate
   * rows for a unique key, orphans for a foreign key) is found before anything runs, and then the
   * whole fix is refused: it never deletes data.
   */
  async fix(opts: { dryRun?: boolean } = {}): Promise<FixReport> {
    return exclusive(this.ds, () => this.fixExclusive(opts.dryRun === true));
  }

  private async fixExclusive(dryRun: boolean): Promise<FixReport> {
    const sqlite = this.dialect === 'sqlite';
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    if (sqlite && (qr.isTransactionActive || sqliteInTransaction(this.ds))) {
      // Rebuilding inside someone else's transaction would cascade-delete child rows.
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
      const { report, findings, queries } = await this.inspect(qr);
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
      const rebuilt = sqlite ? rebuiltTables(todo) : [];
      const sequences = await this.readSequences(qr, rebuilt);
      for (const q of queries) await qr.query(q.query, q.parameters);
      for (const t of rebuilt) {
        const bad = (await qr.query(`PRAGMA foreign_key_check(${this.q(t)})`)) as unknown[];
        if (bad.length > 0) throw new ValidationError(`Rebuilding ${t} would leave ${bad.length} row(s) violating a foreign key; nothing was changed`);
      }
      await this.restoreSequences(qr, sequences);
      await qr.commitTransaction();
      for (const s of statements) log.info(`fix_constraints: ${s.length > 200 ? `${s.slice(0, 200)}…` : s}`);
      const after = await this.check();
      const key = (p: SchemaProblem) => `${p.table}|${p.kind}|${p.name}`;
      const still = new Set(after.problems.map(key));
      return { ok: after.ok, dry_run: false, statements, planned, fixed: planned.filter((p) => !still.has(key(p))), remaining: after.problems };
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      if (sqlite && !dryRun) await qr.afterMigration().catch(() => undefined);
      await qr.release();
    }
  }

  private q(identifier: string): string {
    return this.ds.driver.escape(identifier);
  }

  private async inspect(qr: QueryRunner): Promise<{ report: CheckReport; findings: Finding[]; queries: Query[] }> {
    const expected = expectedSchema(this.ds);
    const migrations = await this.migrationStatus(qr);
    const findings: Finding[] = [];
    const add = (problem: Omit<SchemaProblem, 'fix'> & { fix?: string }, actions: Action[] = []): void => {
      findings.push({ problem: { ...problem, fix: problem.fix ?? '' }, actions, statements: [], blockers: [] });
    };
    if (migrations.pending.length > 0) {
      add({ table: 'migrations', kind: 'migrations_pending', name: migrations.pending.join(', '), columns: [], detail: `${migrations.pending.length} migration(s) not applied`, fix: MIGRATE_HINT });
    }
    if (migrations.unknown.length > 0) {
      add({ table: 'migrations', kind: 'migrations_unknown', name: migrations.unknown.join(', '), columns: [], detail: 'applied by a newer bridge version than this one', fix: 'deploy the bridge version that owns these migrations' });
    }
    const dup = migrations.executed.filter((n, i) => migrations.executed.indexOf(n) !== i);
    if (dup.length > 0) {
      add({ table: 'migrations', kind: 'migrations_duplicated', name: [...new Set(dup)].join(', '), columns: [], detail: 'recorded more than once: two instances migrated without a lock', fix: 'inspect the schema by hand; remove the duplicate rows from the migrations table' });
    }
    const checked: CheckReport['checked'] = [];
    const present = new Map<string, TableSpec>();
    for (const want of expected) {
      const live = await liveTable(qr, want.table, want.idColumn);
      if (live) present.set(want.table, live);
    }
    for (const want of expected) {
      checked.push({
        table: want.table, uniques: want.keys.filter((k) => k.unique).map((k) => k.name),
        indices: want.keys.filter((k) => !k.unique).map((k) => k.name), foreign_keys: want.foreignKeys.map((f) => f.name),
      });
      const live = present.get(want.table);
      if (!live) {
        add({ table: want.table, kind: 'missing_table', name: want.table, columns: [], detail: 'table does not exist', fix: MIGRATE_HINT });
        continue;
      }
      for (const c of want.columns.filter((x) => !live.columns.includes(x))) {
        add({ table: want.table, kind: 'missing_column', name: c, columns: [c], detail: 'column does not exist', fix: MIGRATE_HINT });
      }
      // A key over a missing column (or to a missing table) is reported but cannot be created yet.
      const fixable = (cols: string[], ref?: { table: string; columns: string[] }): boolean => cols.every((c) => live.columns.includes(c))
        && (!ref || (present.get(ref.table)?.columns ?? []).length > 0 && ref.columns.every((c) => present.get(ref.table)?.columns.includes(c)));
      this.compareKeys(want, live, fixable, add);
      compareForeignKeys(want, live, fixable, add);
    }
    const queries = await this.plan(findings);
    for (const f of findings) {
      f.blockers = await this.blockersOf(qr, f);
      if (f.blockers.length > 0) f.problem.detail += `; blocked by existing rows, fix_constraints will refuse until they are resolved: ${f.blockers.slice(0, 3).join('; ')}${f.blockers.length > 3 ? '; …' : ''}`;
    }
    const report: CheckReport = {
      ok: findings.length === 0, dialect: this.dialect, checked, problems: findings.map((f) => f.problem),
      null_guid_rows: { phases: await this.countNullGuid(qr, 'phases'), elevations: await this.countNullGuid(qr, 'elevations') },
      migrations,
    };
    return { report, findings, queries };
  }

  private compareKeys(want: TableSpec, live: TableSpec, fixable: Fixable, add: Adder): void {
    const matched = new Set<KeySpec>();
    for (const k of want.keys) {
      const same = live.keys.find((l) => l.name.toLowerCase() === k.name.toLowerCase());
      if (same) matched.add(same);
      if (same && satisfies(same, k, this.dialect)) continue;
      const create: Action = { op: 'create_key', table: want.table, key: k, spec: want };
      if (!fixable(k.columns)) {
        add({ table: want.table, kind: k.unique ? 'missing_unique' : 'missing_index', name: k.name, columns: k.columns, detail: `${describeKey(k)} needs missing column(s)`, fix: MIGRATE_HINT });
      } else if (same) {
        add({ table: want.table, kind: 'wrong_definition', name: k.name, columns: k.columns, detail: `is a ${describeKey(same)}, expected a ${describeKey(k)}` },
          [{ op: 'drop_key', table: want.table, key: same }, create]);
      } else {
        add({ table: want.table, kind: k.unique ? 'missing_unique' : 'missing_index', name: k.name, columns: k.columns, detail: `missing ${describeKey(k)}` }, [create]);
      }
    }
    for (const l of live.keys) {
      if (matched.has(l) || !l.unique) continue; // extra plain indexes cost space, not correctness
      const alone = l.columns.length === 1 && l.columns[0] === 'logikal_id' && (want.table === 'phases' || want.table === 'elevations');
      const why = alone
        ? `: every project's default phase has the null GUID ${NULL_GUID}, so a unique key on logikal_id alone rejects the second project's rows (the predecessor's ix_phases_logikal_id failure)`
        : ': not defined by the migrations';
      add({ table: want.table, kind: 'unexpected_unique', name: l.name, columns: l.columns, detail: `unexpected ${describeKey(l)}${why}` },
        [{ op: 'drop_key', table: want.table, key: l }]);
    }
  }

  /**
   * Turns actions into SQL with TypeORM's own DDL generator in memory mode (nothing executes):
   * all drops before all creates, so a stray object never collides with the one replacing it.
   */
  private async plan(findings: Finding[]): Promise<Query[]> {
    for (const f of findings) if (!f.problem.fix) f.problem.fix = 'no automatic fix';
    const steps = findings.flatMap((f) => f.actions.map((a) => ({ f, a }))).sort((x, y) => ORDER[x.a.op] - ORDER[y.a.op]);
    if (steps.length === 0) return [];
    const all: Query[] = [];
    const planner = this.ds.createQueryRunner();
    planner.enableSqlMemory();
    try {
      for (const { f, a } of steps) {
        const before = planner.getMemorySql().upQueries.length;
        await this.apply(planner, a);
        const added = planner.getMemorySql().upQueries.slice(before);
        f.statements.push(...added);
        all.push(...added);
      }
    } finally {
      planner.disableSqlMemory();
      await planner.release();
    }
    for (const f of findings) {
      if (f.actions.length === 0) continue;
      const rebuild = rebuiltTables([f]);
      f.problem.fix = rebuild.length > 0
        ? `rebuild table ${rebuild.join(', ')} (SQLite cannot change foreign keys or table constraints in place): fix_constraints runs ${f.statements.length} statements`
        : f.statements.map((s) => s.query).join('; ');
    }
    return all;
  }

  private async apply(qr: QueryRunner, a: Action): Promise<void> {
    switch (a.op) {
      case 'drop_key':
        if (a.key.kind === 'index') await qr.dropIndex(a.table, a.key.name);
        else await qr.dropUniqueConstraint(a.table, a.key.name);
        return;
      case 'create_key':
        // SQLite: a named unique index stands in for a table-level UNIQUE (which would need a rebuild);
        // check accepts it there.
        if (a.key.kind === 'unique' && this.dialect === 'postgres') {
          await qr.createUniqueConstraint(a.table, new TableUnique({ name: a.key.name, columnNames: a.key.columns }));
        } else {
          await qr.createIndex(a.table, new TableIndex({
            name: a.key.name, columnNames: a.key.columns, isUnique: a.key.unique, where: a.key.where ?? undefined,
          }));
        }
        return;
      case 'drop_fk':
        await qr.dropForeignKey(a.table, a.fk.name);
        return;
      case 'create_fk':
        await qr.createForeignKey(a.table, new TableForeignKey({
          name: a.fk.name, columnNames: a.fk.columns, referencedTableName: a.fk.refTable, referencedColumnNames: a.fk.refColumns, onDelete: a.fk.onDelete,
        }));
        return;
    }
  }

  /** Rows that the constraint a finding creates would reject. Identifiers come from our metadata, quoted anyway. */
  private async blockersOf(qr: QueryRunner, f: Finding): Promise<string[]> {
    const out: string[] = [];
    for (const a of f.actions) {
      if (a.op === 'create_key' && a.key.unique) out.push(...await this.duplicates(qr, a.spec, a.key));
      if (a.op === 'create_fk') out.push(...await this.orphans(qr, a.spec, a.fk));
    }
    return out;
  }

  private async duplicates(qr: QueryRunner, spec: TableSpec, key: KeySpec): Promise<string[]> {
    const cols = key.columns.map((c) => this.q(c));
    const id = this.q(spec.idColumn);
    const ids = this.dialect === 'postgres' ? `string_agg(CAST(${id} AS text), ',' ORDER BY ${id})` : `group_concat(${id}, ',')`;
    const where = [...cols.map((c) => `${c} IS NOT NULL`), ...(key.where ? [`(${key.where})`] : [])].join(' AND ');
    const rows = (await qr.query(
      `SELECT ${cols.map((c, i) => `${c} AS c${i}`).join(', ')}, COUNT(*) AS n, ${ids} AS ids FROM ${this.q(spec.table)} WHERE ${where} ` +
      `GROUP BY ${cols.join(', ')} HAVING COUNT(*) > 1 ORDER BY COUNT(*) DESC LIMIT ${MAX_LISTED + 1}`,
    )) as Array<Record<string, unknown>>;
    return listed(rows, (r) => {
      const values = key.columns.map((c, i) => `${c}=${JSON.stringify(r[`c${i}`])}`).join(', ');
      const idList = String(r.ids).split(',');
      return `${spec.table} ${key.name}: ${values} shared by ${Number(r.n)} rows (${spec.idColumn} ${idList.slice(0, 10).join(', ')}${idList.length > 10 ? ', …' : ''})`;
    });
  }

  private async orphans(qr: QueryRunner, spec: TableSpec, fk: ForeignKeySpec): Promise<string[]> {
    const c = fk.columns.map((x) => `c.${this.q(x)}`);
    const match = fk.refColumns.map((r, i) => `p.${this.q(r)} = ${c[i]}`).join(' AND ');
    const rows = (await qr.query(
      `SELECT c.${this.q(spec.idColumn)} AS id, ${c.map((x, i) => `${x} AS c${i}`).join(', ')} FROM ${this.q(spec.table)} c ` +
      `WHERE ${c.map((x) => `${x} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${this.q(fk.refTable)} p WHERE ${match}) ` +
      `ORDER BY c.${this.q(spec.idColumn)} LIMIT ${MAX_LISTED + 1}`,
    )) as Array<Record<string, unknown>>;
    return listed(rows, (r) => `${spec.table} ${fk.name}: ${spec.idColumn} ${String(r.id)} has ${fk.columns.map((x, i) => `${x}=${JSON.stringify(r[`c${i}`])}`).join(', ')} with no ${fk.refTable} row`);
  }

  private async migrationStatus(qr: QueryRunner): Promise<CheckReport['migrations']> {
    const table = this.ds.options.migrationsTableName ?? 'migrations';
    const known = this.ds.migrations.map((m) => m.name ?? m.constructor.name);
    const executed = (await qr.hasTable(table))
      ? ((await qr.query(`SELECT ${this.q('name')} AS name FROM ${this.q(table)} ORDER BY ${this.q('timestamp')}, ${this.q('id')}`)) as Array<{ name: string }>).map((r) => r.name)
      : [];
    return { executed, pending: known.filter((n) => !executed.includes(n)), unknown: [...new Set(executed.filter((n) => !known.includes(n)))] };
  }

  private async countNullGuid(qr: QueryRunner, table: string): Promise<number> {
    if (!(await qr.hasColumn(table, 'logikal_id').catch(() => false))) return 0;
    const rows = (await qr.query(`SELECT COUNT(*) AS n FROM ${this.q(table)} WHERE ${this.q('logikal_id')} = '${NULL_GUID}'`)) as Array<{ n: unknown }>;
    return Number(rows[0]?.n ?? 0);
  }

  /** SQLite: a rebuilt AUTOINCREMENT table would restart at max(id); keep the old high-water mark so ids are never reused. */
  private async readSequences(qr: QueryRunner, tables: string[]): Promise<Map<string, number>> {
    const seqs = new Map<string, number>();
    if (tables.length === 0 || !(await qr.hasTable('sqlite_sequence'))) return seqs;
    for (const t of tables) {
      const rows = (await qr.query('SELECT seq FROM sqlite_sequence WHERE name = ?', [t])) as Array<{ seq: number }>;
      if (rows[0]) seqs.set(t, Number(rows[0].seq));
    }
    return seqs;
  }

  private async restoreSequences(qr: QueryRunner, seqs: Map<string, number>): Promise<void> {
    for (const [t, seq] of seqs) {
      const rows = (await qr.query('SELECT seq FROM sqlite_sequence WHERE name = ?', [t])) as Array<{ seq: number }>;
      if (!rows[0]) await qr.query('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)', [t, seq]);
      else if (Number(rows[0].seq) < seq) await qr.query('UPDATE sqlite_sequence SET seq = ? WHERE name = ?', [seq, t]);
    }
  }
}

type Adder = (p: Omit<SchemaProblem, 'fix'> & { fix?: string }, a?: Action[]) => void;
type Fixable = (cols: string[], ref?: { table: string; columns: string[] }) => boolean;

function compareForeignKeys(want: TableSpec, live: TableSpec, fixable: Fixable, add: Adder): void {
  const matched = new Set<ForeignKeySpec>();
  for (const fk of want.foreignKeys) {
    const same = live.foreignKeys.find((l) => l.name.toLowerCase() === fk.name.toLowerCase());
    if (same) matched.add(same);
    if (same && sameForeignKey(same, fk)) continue;
    const create: Action = { op: 'create_fk', table: want.table, fk, spec: want };
    if (!fixable(fk.columns, { table: fk.refTable, columns: fk.refColumns })) {
      add({ table: want.table, kind: 'missing_foreign_key', name: fk.name, columns: fk.columns, detail: `${describeForeignKey(fk)} needs a missing table or column`, fix: MIGRATE_HINT });
    } else if (same) {
      add({ table: want.table, kind: 'wrong_foreign_key', name: fk.name, columns: fk.columns, detail: `is a ${describeForeignKey(same)}, expected a ${describeForeignKey(fk)}` },
        [{ op: 'drop_fk', table: want.table, fk: same }, create]);
    } else {
      add({ table: want.table, kind: 'missing_foreign_key', name: fk.name, columns: fk.columns, detail: `missing ${describeForeignKey(fk)}` }, [create]);
    }
  }
  for (const l of live.foreignKeys) {
    if (matched.has(l)) continue;
    add({ table: want.table, kind: 'unexpected_foreign_key', name: l.name, columns: l.columns, detail: `unexpected ${describeForeignKey(l)}: not defined by the migrations` },
      [{ op: 'drop_fk', table: want.table, fk: l }]);
  }
}

/** On SQLite, adding/dropping a foreign key or a table-level UNIQUE rebuilds the table. */
function rebuiltTables(findings: Finding[]): string[] {
  const out = new Set<string>();
  for (const f of findings) {
    for (const s of f.statements) {
      const m = /^CREATE TABLE "temporary_([^"]+)"/.exec(s.query);
      if (m) out.add(m[1]);
    }
  }
  return [...out];
}

function listed<T>(rows: T[], fmt: (r: T) => string): string[] {
  const out = rows.slice(0, MAX_LISTED).map(fmt);
  if (rows.length > MAX_LISTED) out.push(`(more than ${MAX_LISTED}; only the first ${MAX_LISTED} are listed)`);
  return out;
}

function refusal(blocked: Finding[]): string {
  const parts = blocked.map((f) => `${f.problem.table} ${f.problem.name} (${f.problem.columns.join(', ')}):\n  ${f.blockers.join('\n  ')}`);
  return `fix_constraints refused: existing rows would violate the constraint(s) it has to create. Nothing was changed and no row was deleted; ` +
    `resolve these rows (merge or remove the duplicates, repair the references), then run it again.\n${parts.join('\n')}`;
}

/** Whether the shared better-sqlite3 connection has a transaction open. */
function sqliteInTransaction(ds: DataSource): boolean {
  return (ds.driver as unknown as { databaseConnection?: { inTransaction?: boolean } }).databaseConnection?.inTransaction === true;
}
