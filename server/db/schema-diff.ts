import { NULL_GUID } from '../../entities/phase.entity';
import {
  describeForeignKey,
  describeKey,
  sameForeignKey,
  satisfies,
  type Dialect,
  type ForeignKeySpec,
  type KeySpec,
  type MigrationState,
  type TableSpec,
} from './schema-spec';
import type { Action, CheckReport, Finding, SchemaProblem } from './schema-health.types';

/**
 * The pure half of admin.check_constraints / fix_constraints: expected schema + live schema +
 * migration state in, problems and the actions that repair them out. No database here; the
 * service (schema-health.service.ts) reads the inputs, renders the actions to SQL and runs them.
 */

export const MIGRATE_HINT = 'run `logikal-bridge migrate` (npm run migrate)';
export const NO_AUTOMATIC_FIX = 'no automatic fix';

export interface SchemaState {
  dialect: Dialect;
  /** From the entity metadata. */
  expected: TableSpec[];
  /** The live tables found; an expected table absent here does not exist. */
  live: TableSpec[];
  migrations: MigrationState;
}

export interface SchemaDiff {
  checked: CheckReport['checked'];
  /** In report order. A finding without actions needs a person (its `fix` says what). */
  findings: Finding[];
}

type NewProblem = Omit<SchemaProblem, 'fix'> & { fix?: string };

export function diffSchema(state: SchemaState): SchemaDiff {
  const findings: Finding[] = [];
  const add = (problem: NewProblem, actions: Action[] = []): void => {
    const fix = problem.fix ?? (actions.length > 0 ? actions.map(describeAction).join('; ') : NO_AUTOMATIC_FIX);
    findings.push({ problem: { ...problem, fix }, actions, statements: [], blockers: [] });
  };
  migrationProblems(state.migrations, add);
  const present = new Map(state.live.map((t) => [t.table, t]));
  const checked: CheckReport['checked'] = [];
  for (const want of state.expected) {
    checked.push({
      table: want.table,
      uniques: want.keys.filter((k) => k.unique).map((k) => k.name),
      indices: want.keys.filter((k) => !k.unique).map((k) => k.name),
      foreign_keys: want.foreignKeys.map((f) => f.name),
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
    const fixable: Fixable = (cols, ref) =>
      cols.every((c) => live.columns.includes(c)) && (!ref || hasColumns(present.get(ref.table), ref.columns));
    compareKeys(state.dialect, want, live, fixable, add);
    compareForeignKeys(want, live, fixable, add);
  }
  return { checked, findings };
}

type Adder = (p: NewProblem, a?: Action[]) => void;
type Fixable = (cols: string[], ref?: { table: string; columns: string[] }) => boolean;

function hasColumns(t: TableSpec | undefined, cols: string[]): boolean {
  return !!t && t.columns.length > 0 && cols.every((c) => t.columns.includes(c));
}

function migrationProblems(m: MigrationState, add: Adder): void {
  if (m.pending.length > 0) {
    add({
      table: 'migrations',
      kind: 'migrations_pending',
      name: m.pending.join(', '),
      columns: [],
      detail: `${m.pending.length} migration(s) not applied`,
      fix: MIGRATE_HINT,
    });
  }
  if (m.unknown.length > 0) {
    add({
      table: 'migrations',
      kind: 'migrations_unknown',
      name: m.unknown.join(', '),
      columns: [],
      detail: 'applied by a newer bridge version than this one',
      fix: 'deploy the bridge version that owns these migrations',
    });
  }
  const dup = m.executed.filter((n, i) => m.executed.indexOf(n) !== i);
  if (dup.length > 0) {
    add({
      table: 'migrations',
      kind: 'migrations_duplicated',
      name: [...new Set(dup)].join(', '),
      columns: [],
      detail: 'recorded more than once: two instances migrated without a lock',
      fix: 'inspect the schema by hand; remove the duplicate rows from the migrations table',
    });
  }
}

function compareKeys(dialect: Dialect, want: TableSpec, live: TableSpec, fixable: Fixable, add: Adder): void {
  const matched = new Set<KeySpec>();
  for (const k of want.keys) {
    const same = live.keys.find((l) => l.name.toLowerCase() === k.name.toLowerCase());
    if (same) matched.add(same);
    if (same && satisfies(same, k, dialect)) continue;
    const create: Action = { op: 'create_key', table: want.table, key: k, spec: want };
    if (!fixable(k.columns)) {
      add({
        table: want.table,
        kind: k.unique ? 'missing_unique' : 'missing_index',
        name: k.name,
        columns: k.columns,
        detail: `${describeKey(k)} needs missing column(s)`,
        fix: MIGRATE_HINT,
      });
    } else if (same) {
      add(
        {
          table: want.table,
          kind: 'wrong_definition',
          name: k.name,
          columns: k.columns,
          detail: `is a ${describeKey(same)}, expected a ${describeKey(k)}`,
        },
        [{ op: 'drop_key', table: want.table, key: same }, create],
      );
    } else {
      add(
        {
          table: want.table,
          kind: k.unique ? 'missing_unique' : 'missing_index',
          name: k.name,
          columns: k.columns,
          detail: `missing ${describeKey(k)}`,
        },
        [create],
      );
    }
  }
  for (const l of live.keys) {
    if (matched.has(l) || !l.unique) continue; // extra plain indexes cost space, not correctness
    const alone = l.columns.length === 1 && l.columns[0] === 'logikal_id' && (want.table === 'phases' || want.table === 'elevations');
    const why = alone
      ? `: every project's default phase has the null GUID ${NULL_GUID}, so a unique key on logikal_id alone rejects the second project's rows (the predecessor's ix_phases_logikal_id failure)`
      : ': not defined by the migrations';
    add({ table: want.table, kind: 'unexpected_unique', name: l.name, columns: l.columns, detail: `unexpected ${describeKey(l)}${why}` }, [
      { op: 'drop_key', table: want.table, key: l },
    ]);
  }
}

function compareForeignKeys(want: TableSpec, live: TableSpec, fixable: Fixable, add: Adder): void {
  const matched = new Set<ForeignKeySpec>();
  for (const fk of want.foreignKeys) {
    const same = live.foreignKeys.find((l) => l.name.toLowerCase() === fk.name.toLowerCase());
    if (same) matched.add(same);
    if (same && sameForeignKey(same, fk)) continue;
    const create: Action = { op: 'create_fk', table: want.table, fk, spec: want };
    if (!fixable(fk.columns, { table: fk.refTable, columns: fk.refColumns })) {
      add({
        table: want.table,
        kind: 'missing_foreign_key',
        name: fk.name,
        columns: fk.columns,
        detail: `${describeForeignKey(fk)} needs a missing table or column`,
        fix: MIGRATE_HINT,
      });
    } else if (same) {
      add(
        {
          table: want.table,
          kind: 'wrong_foreign_key',
          name: fk.name,
          columns: fk.columns,
          detail: `is a ${describeForeignKey(same)}, expected a ${describeForeignKey(fk)}`,
        },
        [{ op: 'drop_fk', table: want.table, fk: same }, create],
      );
    } else {
      add(
        { table: want.table, kind: 'missing_foreign_key', name: fk.name, columns: fk.columns, detail: `missing ${describeForeignKey(fk)}` },
        [create],
      );
    }
  }
  for (const l of live.foreignKeys) {
    if (matched.has(l)) continue;
    add(
      {
        table: want.table,
        kind: 'unexpected_foreign_key',
        name: l.name,
        columns: l.columns,
        detail: `unexpected ${describeForeignKey(l)}: not defined by the migrations`,
      },
      [{ op: 'drop_fk', table: want.table, fk: l }],
    );
  }
}

/** What an action does, in words (the `fix` of a finding until its SQL is rendered). */
export function describeAction(a: Action): string {
  switch (a.op) {
    case 'drop_key':
      return `drop ${a.key.kind === 'unique' ? 'constraint' : 'index'} ${a.key.name} on ${a.table}`;
    case 'create_key':
      return `create ${describeKey(a.key)} ${a.key.name} on ${a.table}`;
    case 'drop_fk':
      return `drop foreign key ${a.fk.name} on ${a.table}`;
    case 'create_fk':
      return `create ${describeForeignKey(a.fk)} ${a.fk.name} on ${a.table}`;
  }
}

const ORDER: Record<Action['op'], number> = { drop_fk: 0, drop_key: 1, create_key: 2, create_fk: 3 };

export interface Step {
  finding: Finding;
  action: Action;
}

/** Every action in the order they run: all drops before all creates, so a stray object never collides with the one replacing it. */
export function planSteps(findings: Finding[]): Step[] {
  return findings
    .flatMap((finding) => finding.actions.map((action) => ({ finding, action })))
    .sort((x, y) => ORDER[x.action.op] - ORDER[y.action.op]);
}

/**
 * Whether an action rebuilds its table. SQLite cannot add or drop a foreign key or a table-level
 * UNIQUE in place: TypeORM copies the table. A key is created there as a named unique index,
 * which needs no rebuild. PostgreSQL alters in place.
 */
export function rebuilds(a: Action, dialect: Dialect): boolean {
  if (dialect !== 'sqlite') return false;
  return a.op === 'drop_fk' || a.op === 'create_fk' || (a.op === 'drop_key' && a.key.kind === 'unique');
}

export function rebuiltTables(actions: Action[], dialect: Dialect): string[] {
  return [...new Set(actions.filter((a) => rebuilds(a, dialect)).map((a) => a.table))];
}

/** The `fix` of a finding once its statements are known. */
export function fixText(f: Finding, dialect: Dialect): string {
  const rebuild = rebuiltTables(f.actions, dialect);
  return rebuild.length > 0
    ? `rebuild table ${rebuild.join(', ')} (SQLite cannot change foreign keys or table constraints in place): fix_constraints runs ${f.statements.length} statements`
    : f.statements.map((s) => s.query).join('; ');
}

/** Records the rows that block a finding's fix. */
export function block(f: Finding, blockers: string[]): void {
  f.blockers = blockers;
  if (blockers.length > 0)
    f.problem.detail += `; blocked by existing rows, fix_constraints will refuse until they are resolved: ${blockers.slice(0, 3).join('; ')}${blockers.length > 3 ? '; …' : ''}`;
}

export function refusal(blocked: Finding[]): string {
  const parts = blocked.map((f) => `${f.problem.table} ${f.problem.name} (${f.problem.columns.join(', ')}):\n  ${f.blockers.join('\n  ')}`);
  return (
    `fix_constraints refused: existing rows would violate the constraint(s) it has to create. Nothing was changed and no row was deleted; ` +
    `resolve these rows (merge or remove the duplicates, repair the references), then run it again.\n${parts.join('\n')}`
  );
}

/** The planned problems a later check no longer reports. */
export function resolved(planned: SchemaProblem[], after: SchemaProblem[]): SchemaProblem[] {
  const key = (p: SchemaProblem) => `${p.table}|${p.kind}|${p.name}`;
  const still = new Set(after.map(key));
  return planned.filter((p) => !still.has(key(p)));
}
