import type { DataSource, QueryRunner, Table } from 'typeorm';
import { NULL_GUID } from '../../entities/phase.entity';
import { migrationState, normAction, type ForeignKeySpec, type KeySpec, type MigrationState, type TableSpec } from './schema-spec';

/**
 * Reads the two sides schema-diff.ts compares: the schema the migrations produce (from TypeORM's
 * entity metadata, kept equal to the migrations by the no-drift test) and the live one.
 */

function bareTable(path: string): string {
  const parts = path.split('.');
  return parts[parts.length - 1];
}

/** A partial index's WHERE; TypeORM keeps "none" as undefined (entity metadata) or '' (a loaded table). */
function whereOf(where: string | undefined): string | null {
  return where === undefined || where === '' ? null : where;
}

/** The schema the migrations produce, read from TypeORM's entity metadata rather than a copied list. */
export function expectedSchema(ds: DataSource): TableSpec[] {
  return ds.entityMetadatas.map((m) => ({
    table: m.tableName,
    idColumn: m.primaryColumns[0]?.databaseName ?? 'id',
    columns: m.columns.map((c) => c.databaseName),
    keys: [
      ...m.uniques.map((u): KeySpec => ({
        kind: 'unique',
        name: u.name,
        columns: u.columns.map((c) => c.databaseName),
        unique: true,
        where: null,
      })),
      ...m.indices.map((i): KeySpec => ({
        kind: 'index',
        name: i.name,
        columns: i.columns.map((c) => c.databaseName),
        unique: i.isUnique,
        where: whereOf(i.where),
      })),
    ],
    foreignKeys: m.foreignKeys.map((f): ForeignKeySpec => ({
      name: f.name,
      columns: f.columnNames,
      refTable: bareTable(f.referencedTablePath),
      refColumns: f.referencedColumnNames,
      onDelete: normAction(f.onDelete),
    })),
  }));
}

/**
 * The live table through TypeORM's loader, which works on both drivers: on SQLite it maps the
 * sqlite_autoindex_* of a table-level UNIQUE back to the constraint's name by parsing CREATE TABLE,
 * and keeps CREATE [UNIQUE] INDEX objects in `indices`; on PostgreSQL constraint-backed indexes are
 * listed once, as constraints.
 */
export async function liveTable(qr: QueryRunner, name: string, idColumn: string): Promise<TableSpec | null> {
  const t: Table | undefined = await qr.getTable(name);
  if (!t) return null;
  return {
    table: name,
    idColumn,
    columns: t.columns.map((c) => c.name),
    keys: [
      ...t.uniques.map((u): KeySpec => ({ kind: 'unique', name: u.name ?? '', columns: u.columnNames, unique: true, where: null })),
      ...t.indices.map((i): KeySpec => ({
        kind: 'index',
        name: i.name ?? '',
        columns: i.columnNames,
        unique: i.isUnique,
        where: whereOf(i.where),
      })),
    ],
    foreignKeys: t.foreignKeys.map((f): ForeignKeySpec => ({
      name: f.name ?? '',
      columns: f.columnNames,
      refTable: bareTable(f.referencedTableName),
      refColumns: f.referencedColumnNames,
      onDelete: normAction(f.onDelete),
    })),
  };
}

/** The live counterpart of each expected table that exists. */
export async function liveSchema(qr: QueryRunner, expected: TableSpec[]): Promise<TableSpec[]> {
  const out: TableSpec[] = [];
  for (const want of expected) {
    const live = await liveTable(qr, want.table, want.idColumn);
    if (live) out.push(live);
  }
  return out;
}

export async function migrationStatus(ds: DataSource, qr: QueryRunner): Promise<MigrationState> {
  const q = (x: string) => ds.driver.escape(x);
  const table = ds.options.migrationsTableName ?? 'migrations';
  const known = ds.migrations.map((m) => m.name ?? m.constructor.name);
  const executed = (await qr.hasTable(table))
    ? (
        (await qr.query(`SELECT ${q('name')} AS name FROM ${q(table)} ORDER BY ${q('timestamp')}, ${q('id')}`)) as Array<{ name: string }>
      ).map((r) => r.name)
    : [];
  return migrationState(known, executed);
}

/** Rows of a table whose logikal_id is the null GUID (0 when the table or column is missing). */
export async function countNullGuid(ds: DataSource, qr: QueryRunner, table: string): Promise<number> {
  if (!(await qr.hasColumn(table, 'logikal_id').catch(() => false))) return 0;
  const rows = (await qr.query(
    `SELECT COUNT(*) AS n FROM ${ds.driver.escape(table)} WHERE ${ds.driver.escape('logikal_id')} = '${NULL_GUID}'`,
  )) as Array<{ n: unknown }>;
  return Number(rows[0]?.n ?? 0);
}
