import type { DataSource, QueryRunner, Table } from 'typeorm';

/**
 * The two sides admin.check_constraints compares, in one driver-neutral shape: what the entity
 * metadata says (kept equal to the migrations by the no-drift test) and what the live database has.
 */

/** A unique constraint or an index (unique, partial or plain). */
export interface KeySpec {
  /** 'unique' = a table constraint; 'index' = a CREATE [UNIQUE] INDEX. */
  kind: 'unique' | 'index';
  name: string;
  columns: string[];
  unique: boolean;
  /** Partial-index predicate as the database spells it (PostgreSQL rewrites it), or null. */
  where: string | null;
}

export interface ForeignKeySpec {
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
}

export interface TableSpec {
  table: string;
  /** Primary-key column, for listing offending rows. */
  idColumn: string;
  columns: string[];
  keys: KeySpec[];
  foreignKeys: ForeignKeySpec[];
}

export type Dialect = 'postgres' | 'sqlite';

export function dialectOf(ds: DataSource): Dialect {
  return ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
}

function normAction(a: string | undefined): string {
  return (a ?? 'NO ACTION').toUpperCase();
}

function bareTable(path: string): string {
  const parts = path.split('.');
  return parts[parts.length - 1];
}

/** The schema the migrations produce, read from TypeORM's entity metadata rather than a copied list. */
export function expectedSchema(ds: DataSource): TableSpec[] {
  return ds.entityMetadatas.map((m) => ({
    table: m.tableName,
    idColumn: m.primaryColumns[0]?.databaseName ?? 'id',
    columns: m.columns.map((c) => c.databaseName),
    keys: [
      ...m.uniques.map((u): KeySpec => ({
        kind: 'unique', name: u.name, columns: u.columns.map((c) => c.databaseName), unique: true, where: null,
      })),
      ...m.indices.map((i): KeySpec => ({
        kind: 'index', name: i.name, columns: i.columns.map((c) => c.databaseName), unique: i.isUnique, where: i.where || null,
      })),
    ],
    foreignKeys: m.foreignKeys.map((f): ForeignKeySpec => ({
      name: f.name, columns: f.columnNames, refTable: bareTable(f.referencedTablePath),
      refColumns: f.referencedColumnNames, onDelete: normAction(f.onDelete),
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
        kind: 'index', name: i.name ?? '', columns: i.columnNames, unique: i.isUnique, where: i.where || null,
      })),
    ],
    foreignKeys: t.foreignKeys.map((f): ForeignKeySpec => ({
      name: f.name ?? '', columns: f.columnNames, refTable: bareTable(f.referencedTableName),
      refColumns: f.referencedColumnNames, onDelete: normAction(f.onDelete),
    })),
  };
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/**
 * Whether a live object satisfies an expected one. Partial predicates are compared by presence
 * only: PostgreSQL stores `state IN (...)` as `(state)::text = ANY (ARRAY[...])`. On SQLite a unique
 * index of the right name and columns satisfies a unique constraint: SQLite cannot add a table
 * constraint without rebuilding the table, so that is how fix_constraints repairs it there.
 */
export function satisfies(live: KeySpec, want: KeySpec, dialect: Dialect): boolean {
  if (!sameColumns(live.columns, want.columns) || live.unique !== want.unique) return false;
  if ((live.where === null) !== (want.where === null)) return false;
  if (live.kind === want.kind) return true;
  return dialect === 'sqlite' && want.kind === 'unique' && live.kind === 'index' && live.where === null;
}

export function sameForeignKey(live: ForeignKeySpec, want: ForeignKeySpec): boolean {
  return sameColumns(live.columns, want.columns) && live.refTable === want.refTable
    && sameColumns(live.refColumns, want.refColumns) && live.onDelete === want.onDelete;
}

export function describeKey(k: KeySpec): string {
  const what = k.kind === 'unique' ? 'unique constraint' : k.unique ? (k.where ? 'partial unique index' : 'unique index') : 'index';
  return `${what} on (${k.columns.join(', ')})${k.where ? ` WHERE ${k.where}` : ''}`;
}

export function describeForeignKey(f: ForeignKeySpec): string {
  return `foreign key (${f.columns.join(', ')}) -> ${f.refTable}(${f.refColumns.join(', ')}) ON DELETE ${f.onDelete}`;
}
