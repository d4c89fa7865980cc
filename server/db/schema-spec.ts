import type { Dialect } from './db';

export type { Dialect } from './db';

/**
 * The two sides admin.check_constraints compares, in one driver-neutral shape: what the entity
 * metadata says (kept equal to the migrations by the no-drift test) and what the live database
 * has. Plain data, no database: schema-introspection.ts reads them, schema-diff.ts compares them.
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
  /** Upper case, 'NO ACTION' when unset. */
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

/** The migrations table against the migrations this build ships. */
export interface MigrationState {
  /** Names in the migrations table, in the order they ran (duplicates included). */
  executed: string[];
  /** Shipped, not in the table. */
  pending: string[];
  /** In the table, not shipped (a newer bridge ran them). */
  unknown: string[];
}

export function migrationState(known: string[], executed: string[]): MigrationState {
  return {
    executed,
    pending: known.filter((n) => !executed.includes(n)),
    unknown: [...new Set(executed.filter((n) => !known.includes(n)))],
  };
}

export function normAction(a: string | undefined): string {
  return (a ?? 'NO ACTION').toUpperCase();
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
  return (
    sameColumns(live.columns, want.columns) &&
    live.refTable === want.refTable &&
    sameColumns(live.refColumns, want.refColumns) &&
    live.onDelete === want.onDelete
  );
}

export function describeKey(k: KeySpec): string {
  const what = k.kind === 'unique' ? 'unique constraint' : k.unique ? (k.where ? 'partial unique index' : 'unique index') : 'index';
  return `${what} on (${k.columns.join(', ')})${k.where ? ` WHERE ${k.where}` : ''}`;
}

export function describeForeignKey(f: ForeignKeySpec): string {
  return `foreign key (${f.columns.join(', ')}) -> ${f.refTable}(${f.refColumns.join(', ')}) ON DELETE ${f.onDelete}`;
}
