import type { Dialect, ForeignKeySpec, KeySpec, TableSpec } from './schema-spec';

/** The shapes admin.check_constraints and admin.fix_constraints answer, and the plan between them. */
export type ProblemKind =
  | 'missing_table'
  | 'missing_column'
  | 'migrations_pending'
  | 'migrations_unknown'
  | 'migrations_duplicated'
  | 'missing_unique'
  | 'missing_index'
  | 'wrong_definition'
  | 'unexpected_unique'
  | 'missing_foreign_key'
  | 'wrong_foreign_key'
  | 'unexpected_foreign_key';

export interface SchemaProblem {
  table: string;
  kind: ProblemKind;
  name: string;
  columns: string[];
  detail: string;
  /** The statements fix_constraints runs for it, or what a person must do. */
  fix: string;
}

export interface CheckReport {
  ok: boolean;
  dialect: Dialect;
  checked: Array<{ table: string; uniques: string[]; indices: string[]; foreign_keys: string[] }>;
  problems: SchemaProblem[];
  /** Rows whose logikal_id is the null GUID: every project's default phase has it, hence the composite keys. */
  null_guid_rows: { phases: number; elevations: number };
  migrations: { executed: string[]; pending: string[]; unknown: string[] };
}

export interface FixReport {
  ok: boolean;
  dry_run: boolean;
  /** What ran (or, on a dry run, would run), in order, in one transaction. */
  statements: string[];
  /** Problems the statements address. */
  planned: SchemaProblem[];
  /** Problems gone after the run (empty on a dry run). */
  fixed: SchemaProblem[];
  /** Problems a fresh check still reports (on a dry run: every current problem). */
  remaining: SchemaProblem[];
}

export type Action =
  | { op: 'drop_key'; table: string; key: KeySpec }
  | { op: 'create_key'; table: string; key: KeySpec; spec: TableSpec }
  | { op: 'drop_fk'; table: string; fk: ForeignKeySpec }
  | { op: 'create_fk'; table: string; fk: ForeignKeySpec; spec: TableSpec };

export interface Finding {
  problem: SchemaProblem;
  actions: Action[];
  statements: Query[];
  /** Rows that would violate the constraint the fix creates. */
  blockers: string[];
}

export interface Query {
  query: string;
  parameters?: unknown[];
}
