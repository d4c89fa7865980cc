import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  diffSchema,
  fixText,
  MIGRATE_HINT,
  planSteps,
  rebuiltTables,
  refusal,
  resolved,
  block,
  type SchemaState,
} from '../../server/db/schema-diff';
import { migrationState, type Dialect, type ForeignKeySpec, type KeySpec, type TableSpec } from '../../server/db/schema-spec';

/**
 * The pure planner of admin.check_constraints / fix_constraints, on specs shaped like the real
 * ones (InitialSchema's projects, phases, elevations, sync_runs). No database.
 */

const INITIAL = 'InitialSchema1764374400000';

const uq = (name: string, columns: string[]): KeySpec => ({ kind: 'unique', name, columns, unique: true, where: null });
const ix = (name: string, columns: string[], unique = false, where: string | null = null): KeySpec => ({
  kind: 'index',
  name,
  columns,
  unique,
  where,
});
const fk = (name: string, columns: string[], refTable: string, onDelete = 'CASCADE'): ForeignKeySpec => ({
  name,
  columns,
  refTable,
  refColumns: ['id'],
  onDelete,
});

function expected(): TableSpec[] {
  return [
    {
      table: 'projects',
      idColumn: 'id',
      columns: ['id', 'logikal_id', 'name', 'directory_id'],
      keys: [
        uq('uq_project_logikal_id', ['logikal_id']),
        ix('ix_projects_name', ['name']),
        ix('ix_projects_directory_id', ['directory_id']),
      ],
      foreignKeys: [],
    },
    {
      table: 'phases',
      idColumn: 'id',
      columns: ['id', 'logikal_id', 'project_id', 'name'],
      keys: [uq('uq_phase_logikal_project', ['logikal_id', 'project_id']), ix('ix_phases_project_id', ['project_id'])],
      foreignKeys: [fk('fk_phases_project', ['project_id'], 'projects')],
    },
    {
      table: 'elevations',
      idColumn: 'id',
      columns: ['id', 'logikal_id', 'project_id', 'phase_id', 'name'],
      keys: [
        uq('uq_elevation_logikal_phase', ['logikal_id', 'phase_id']),
        ix('ix_elevations_phase_id', ['phase_id']),
        ix('ix_elevations_project_id', ['project_id']),
      ],
      foreignKeys: [fk('fk_elevations_phase', ['phase_id'], 'phases'), fk('fk_elevations_project', ['project_id'], 'projects')],
    },
    {
      table: 'sync_runs',
      idColumn: 'id',
      columns: ['id', 'target_key', 'state', 'project_id'],
      keys: [ix('ix_sync_runs_state', ['state']), ix('uq_sync_runs_active_target', ['target_key'], true, "state IN ('queued', 'running')")],
      foreignKeys: [],
    },
  ];
}

/** A live schema equal to the expected one, damaged by `edit`. PostgreSQL spells the partial predicate its own way. */
function state(edit: (live: Map<string, TableSpec>) => void = () => undefined, dialect: Dialect = 'postgres'): SchemaState {
  const want = expected();
  const live = new Map(structuredClone(want).map((t) => [t.table, t]));
  const runs = live.get('sync_runs')!;
  runs.keys = runs.keys.map((k) =>
    k.where ? { ...k, where: "((state)::text = ANY ((ARRAY['queued'::character varying, 'running'::character varying])::text[]))" } : k,
  );
  edit(live);
  return { dialect, expected: want, live: [...live.values()], migrations: migrationState([INITIAL], [INITIAL]) };
}

const table = (live: Map<string, TableSpec>, name: string): TableSpec => live.get(name)!;
const kinds = (s: SchemaState) => diffSchema(s).findings.map((f) => `${f.problem.table}:${f.problem.kind}:${f.problem.name}`);

describe('schema diff (pure): expected vs live spec → problems and actions', () => {
  it('nothing to do: no findings, no steps, every expected object listed as checked', () => {
    for (const dialect of ['postgres', 'sqlite'] as const) {
      const diff = diffSchema(state(undefined, dialect));
      assert.deepEqual(diff.findings, []);
      assert.deepEqual(planSteps(diff.findings), []);
      assert.deepEqual(
        diff.checked.map((c) => c.table),
        ['projects', 'phases', 'elevations', 'sync_runs'],
      );
      assert.deepEqual(diff.checked[1], {
        table: 'phases',
        uniques: ['uq_phase_logikal_project'],
        indices: ['ix_phases_project_id'],
        foreign_keys: ['fk_phases_project'],
      });
      assert.ok(diff.checked[3].uniques.includes('uq_sync_runs_active_target'));
    }
  });

  it('a missing unique constraint is created; its fix names the key until SQL is rendered', () => {
    const s = state((live) => {
      table(live, 'phases').keys = [ix('ix_phases_project_id', ['project_id'])];
    });
    const [f, ...rest] = diffSchema(s).findings;
    assert.equal(rest.length, 0);
    assert.equal(f.problem.kind, 'missing_unique');
    assert.deepEqual(f.problem.columns, ['logikal_id', 'project_id']);
    assert.match(f.problem.detail, /^missing unique constraint on \(logikal_id, project_id\)$/);
    assert.deepEqual(
      f.actions.map((a) => a.op),
      ['create_key'],
    );
    assert.match(f.problem.fix, /create unique constraint .*uq_phase_logikal_project on phases/);
    assert.deepEqual(rebuiltTables(f.actions, 'sqlite'), [], 'SQLite creates it as a unique index, no rebuild');
  });

  it('on SQLite a unique index of the right name and columns stands in for the unique constraint; not on PostgreSQL', () => {
    const edit = (live: Map<string, TableSpec>) => {
      table(live, 'phases').keys = [
        ix('uq_phase_logikal_project', ['logikal_id', 'project_id'], true),
        ix('ix_phases_project_id', ['project_id']),
      ];
    };
    assert.deepEqual(kinds(state(edit, 'sqlite')), []);
    assert.deepEqual(kinds(state(edit, 'postgres')), ['phases:wrong_definition:uq_phase_logikal_project']);
  });

  it('wrong columns on a named unique: drop it, then create it right (drops first)', () => {
    const s = state((live) => {
      table(live, 'phases').keys[0] = uq('uq_phase_logikal_project', ['logikal_id']);
    });
    const [f] = diffSchema(s).findings;
    assert.equal(f.problem.kind, 'wrong_definition');
    assert.equal(f.problem.detail, 'is a unique constraint on (logikal_id), expected a unique constraint on (logikal_id, project_id)');
    assert.deepEqual(
      planSteps([f]).map((x) => x.action.op),
      ['drop_key', 'create_key'],
    );
    assert.deepEqual(rebuiltTables(f.actions, 'sqlite'), ['phases'], 'dropping a table-level UNIQUE rebuilds on SQLite');
    assert.deepEqual(rebuiltTables(f.actions, 'postgres'), []);
  });

  it('a dropped foreign key is restored; SQLite rebuilds the table for it', () => {
    const s = state((live) => {
      table(live, 'phases').foreignKeys = [];
    });
    const [f, ...rest] = diffSchema(s).findings;
    assert.equal(rest.length, 0);
    assert.equal(f.problem.kind, 'missing_foreign_key');
    assert.equal(f.problem.detail, 'missing foreign key (project_id) -> projects(id) ON DELETE CASCADE');
    assert.deepEqual(
      f.actions.map((a) => a.op),
      ['create_fk'],
    );
    f.statements.push(
      { query: 'CREATE TABLE "temporary_phases" (…)' },
      { query: 'INSERT INTO …' },
      { query: 'DROP TABLE "phases"' },
      { query: 'ALTER TABLE …' },
    );
    assert.equal(
      fixText(f, 'sqlite'),
      'rebuild table phases (SQLite cannot change foreign keys or table constraints in place): fix_constraints runs 4 statements',
    );
    f.statements.splice(0, 4, {
      query:
        'ALTER TABLE "phases" ADD CONSTRAINT "fk_phases_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE',
    });
    assert.match(fixText(f, 'postgres'), /^ALTER TABLE "phases" ADD CONSTRAINT "fk_phases_project"/);
  });

  it("the predecessor's global ix_phases_logikal_id: dropped (explained by the null GUID) before the composite key is created", () => {
    const s = state((live) => {
      table(live, 'phases').keys = [ix('ix_phases_project_id', ['project_id']), ix('ix_phases_logikal_id', ['logikal_id'], true)];
    });
    const { findings } = diffSchema(s);
    assert.deepEqual(
      findings.map((f) => `${f.problem.kind}:${f.problem.name}`),
      ['missing_unique:uq_phase_logikal_project', 'unexpected_unique:ix_phases_logikal_id'],
    );
    const stray = findings[1];
    assert.deepEqual(stray.problem.columns, ['logikal_id']);
    assert.match(stray.problem.detail, /null GUID 00000000-0000-0000-0000-000000000000/);
    assert.deepEqual(stray.actions, [{ op: 'drop_key', table: 'phases', key: ix('ix_phases_logikal_id', ['logikal_id'], true) }]);
    const steps = planSteps(findings);
    assert.deepEqual(
      steps.map((x) => `${x.action.op}:${x.finding.problem.name}`),
      ['drop_key:ix_phases_logikal_id', 'create_key:uq_phase_logikal_project'],
    );
    assert.deepEqual(
      rebuiltTables(
        steps.map((x) => x.action),
        'sqlite',
      ),
      [],
      'both are plain index statements on SQLite',
    );
  });

  it('another unexpected unique is dropped as not defined by the migrations; an extra plain index is left alone', () => {
    const s = state((live) => {
      table(live, 'projects').keys.push(uq('projects_name_key', ['name']), ix('ix_projects_legacy', ['name', 'directory_id']));
    });
    const [f, ...rest] = diffSchema(s).findings;
    assert.equal(rest.length, 0);
    assert.equal(f.problem.kind, 'unexpected_unique');
    assert.equal(f.problem.detail, 'unexpected unique constraint on (name): not defined by the migrations');
  });

  it('a foreign key with the wrong ON DELETE is dropped and recreated', () => {
    const s = state((live) => {
      table(live, 'elevations').foreignKeys[0] = fk('fk_elevations_phase', ['phase_id'], 'phases', 'NO ACTION');
    });
    const [f, ...rest] = diffSchema(s).findings;
    assert.equal(rest.length, 0);
    assert.equal(f.problem.kind, 'wrong_foreign_key');
    assert.equal(
      f.problem.detail,
      'is a foreign key (phase_id) -> phases(id) ON DELETE NO ACTION, expected a foreign key (phase_id) -> phases(id) ON DELETE CASCADE',
    );
    assert.deepEqual(
      planSteps([f]).map((x) => x.action.op),
      ['drop_fk', 'create_fk'],
    );
    assert.deepEqual(rebuiltTables(f.actions, 'sqlite'), ['elevations']);
  });

  it('an unexpected foreign key is dropped', () => {
    const s = state((live) => {
      table(live, 'sync_runs').foreignKeys.push(fk('sync_runs_project_id_fkey', ['project_id'], 'projects', 'SET NULL'));
    });
    assert.deepEqual(kinds(s), ['sync_runs:unexpected_foreign_key:sync_runs_project_id_fkey']);
  });

  it('a partial unique index turned plain is a wrong definition; the predicate is compared by presence only', () => {
    const s = state((live) => {
      table(live, 'sync_runs').keys[1] = ix('uq_sync_runs_active_target', ['target_key']);
    });
    const [f] = diffSchema(s).findings;
    assert.equal(f.problem.kind, 'wrong_definition');
    assert.match(f.problem.detail, /^is a index on \(target_key\), expected a partial unique index on \(target_key\) WHERE state IN/);
  });

  it('missing tables and columns need the migrations: reported with the migrate hint, no actions', () => {
    const s = state((live) => {
      live.delete('projects');
      table(live, 'elevations').columns = table(live, 'elevations').columns.filter((c) => c !== 'phase_id');
      table(live, 'elevations').keys = table(live, 'elevations').keys.filter((k) => !k.columns.includes('phase_id'));
      table(live, 'elevations').foreignKeys = [];
      table(live, 'phases').foreignKeys = [];
    });
    const { findings } = diffSchema(s);
    assert.deepEqual(
      findings.map((f) => `${f.problem.table}:${f.problem.kind}:${f.problem.name}`),
      [
        'projects:missing_table:projects',
        'phases:missing_foreign_key:fk_phases_project',
        'elevations:missing_column:phase_id',
        'elevations:missing_unique:uq_elevation_logikal_phase',
        'elevations:missing_index:ix_elevations_phase_id',
        'elevations:missing_foreign_key:fk_elevations_phase',
        'elevations:missing_foreign_key:fk_elevations_project',
      ],
    );
    for (const f of findings) {
      assert.deepEqual(f.actions, [], f.problem.name);
      assert.equal(f.problem.fix, MIGRATE_HINT, f.problem.name);
    }
    assert.match(findings[1].problem.detail, /needs a missing table or column/);
  });

  it('migration state: pending, unknown and duplicated rows are reported first, with what a person must do', () => {
    const s = state();
    s.migrations = migrationState([INITIAL, 'AddStoredFiles1765000000000'], [INITIAL, INITIAL, 'FromTheFuture1799999999999']);
    assert.deepEqual(s.migrations.pending, ['AddStoredFiles1765000000000']);
    assert.deepEqual(s.migrations.unknown, ['FromTheFuture1799999999999']);
    const { findings } = diffSchema(s);
    assert.deepEqual(
      findings.map((f) => `${f.problem.kind}:${f.problem.name}`),
      [
        'migrations_pending:AddStoredFiles1765000000000',
        'migrations_unknown:FromTheFuture1799999999999',
        `migrations_duplicated:${INITIAL}`,
      ],
    );
    assert.equal(findings[0].problem.fix, MIGRATE_HINT);
    assert.ok(findings.every((f) => f.actions.length === 0 && f.problem.table === 'migrations'));
  });

  it('names are matched case-insensitively (PostgreSQL folds unquoted names)', () => {
    const s = state((live) => {
      table(live, 'phases').keys[0].name = 'UQ_PHASE_LOGIKAL_PROJECT';
    });
    assert.deepEqual(kinds(s), []);
  });

  it('blockers: appended to the detail, listed in the refusal; resolved() keeps what a later check no longer reports', () => {
    const s = state((live) => {
      table(live, 'phases').keys = [ix('ix_phases_project_id', ['project_id'])];
    });
    const [f] = diffSchema(s).findings;
    block(f, ['a', 'b', 'c', 'd']);
    assert.match(f.problem.detail, /; blocked by existing rows, fix_constraints will refuse until they are resolved: a; b; c; …$/);
    const msg = refusal([f]);
    assert.match(msg, /^fix_constraints refused: .*no row was deleted/);
    assert.ok(msg.endsWith('phases uq_phase_logikal_project (logikal_id, project_id):\n  a\n  b\n  c\n  d'), msg);
    assert.deepEqual(resolved([f.problem], []), [f.problem]);
    assert.deepEqual(resolved([f.problem], [{ ...f.problem, detail: 'other' }]), []);
  });
});
