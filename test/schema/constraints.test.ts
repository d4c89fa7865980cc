import { startTestApp, type TestApp } from '../helpers/test-app';
import { dialect } from '../helpers/test-env';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NULL_GUID } from '../../entities';
import { MIGRATIONS } from '../../migrations';
import { addElevation, addPhase, addProject, alterSchema, count, insertId, kinds, predecessorPhases, sql } from './schema-test-util';

async function withApp(fn: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await startTestApp();
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

test(`[${dialect}] a freshly migrated database is clean and fix has nothing to do`, () =>
  withApp(async (t) => {
    const check = await t.rpc('admin.check_constraints');
    assert.equal(check.error, undefined);
    assert.equal(check.result.ok, true);
    assert.deepEqual(check.result.problems, []);
    assert.equal(check.result.dialect, dialect);
    // Every entity's table is checked, whatever later migrations add.
    const tables = check.result.checked.map((c: { table: string }) => c.table).sort();
    assert.deepEqual(tables, t.app.services.db.dataSource.entityMetadatas.map((m) => m.tableName).sort());
    for (const core of ['api_keys', 'directories', 'elevation_glass', 'elevations', 'phases', 'projects', 'sync_runs'])
      assert.ok(tables.includes(core), core);
    const phases = check.result.checked.find((c: { table: string }) => c.table === 'phases');
    assert.deepEqual(phases, {
      table: 'phases',
      uniques: ['uq_phase_logikal_project'],
      indices: ['ix_phases_project_id'],
      foreign_keys: ['fk_phases_project'],
    });
    assert.ok(check.result.checked.find((c: { table: string }) => c.table === 'sync_runs').uniques.includes('uq_sync_runs_active_target'));
    assert.deepEqual(check.result.migrations.pending, []);
    assert.deepEqual(
      check.result.migrations.executed,
      MIGRATIONS.map((m) => m.name),
    );
    assert.equal(check.result.migrations.executed[0], 'InitialSchema1764374400000');
    const fix = await t.rpc('admin.fix_constraints', [false]);
    assert.deepEqual(fix.result, { ok: true, dry_run: false, statements: [], planned: [], fixed: [], remaining: [] });
  }));

test(`[${dialect}] the predecessor's ix_phases_logikal_id: check, dry run, fix, the second default phase is stored`, () =>
  withApp(async (t) => {
    const db = t.app.services.db;
    await predecessorPhases(db);
    const a = await addProject(db, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');
    const b = await addProject(db, 'a1b2c3d4-0000-4000-8000-000000000001', 'DOS22309');
    await addPhase(db, a);

    const check = (await t.rpc('admin.check_constraints')).result;
    assert.equal(check.ok, false);
    assert.deepEqual(kinds(check.problems), [
      'phases:missing_unique:uq_phase_logikal_project',
      'phases:unexpected_unique:ix_phases_logikal_id',
    ]);
    const stray = check.problems.find((p: { kind: string }) => p.kind === 'unexpected_unique');
    assert.deepEqual(stray.columns, ['logikal_id']);
    assert.match(stray.detail, /null GUID/);
    assert.match(stray.fix, /DROP INDEX .*ix_phases_logikal_id/);
    const missing = check.problems.find((p: { kind: string }) => p.kind === 'missing_unique');
    assert.deepEqual(missing.columns, ['logikal_id', 'project_id']);
    assert.equal(check.null_guid_rows.phases, 1);

    // The bug as production saw it.
    await assert.rejects(addPhase(db, b), /ix_phases_logikal_id|UNIQUE constraint failed: phases\.logikal_id/);

    const dry = (await t.rpc('admin.fix_constraints', { dry_run: true })).result;
    assert.equal(dry.dry_run, true);
    assert.equal(dry.ok, false);
    assert.deepEqual(dry.fixed, []);
    assert.deepEqual(kinds(dry.planned), kinds(check.problems));
    assert.deepEqual(kinds(dry.remaining), kinds(check.problems));
    assert.ok(dry.statements.length >= 2);
    assert.match(dry.statements[0], /DROP INDEX .*ix_phases_logikal_id/, 'drops come first');
    assert.ok(dry.statements.some((s: string) => s.includes('uq_phase_logikal_project') && s.includes('UNIQUE')));
    assert.equal((await t.rpc('admin.check_constraints')).result.problems.length, 2, 'a dry run changes nothing');

    const fix = (await t.rpc('admin.fix_constraints', {})).result;
    assert.equal(fix.ok, true);
    assert.deepEqual(fix.statements, dry.statements);
    assert.deepEqual(kinds(fix.fixed), kinds(check.problems));
    assert.deepEqual(fix.remaining, []);

    const after = (await t.rpc('admin.check_constraints')).result;
    assert.equal(after.ok, true);
    assert.deepEqual(after.problems, []);

    await addPhase(db, b);
    assert.equal((await t.rpc('admin.check_constraints')).result.null_guid_rows.phases, 2);
    // The composite key is really there.
    await assert.rejects(addPhase(db, b), /uq_phase_logikal_project|UNIQUE constraint failed: phases\.logikal_id, phases\.project_id/);

    const again = (await t.rpc('admin.fix_constraints')).result;
    assert.deepEqual(again, { ok: true, dry_run: false, statements: [], planned: [], fixed: [], remaining: [] });
  }));

test(`[${dialect}] duplicates that block the composite key are reported with their ids, never deleted`, () =>
  withApp(async (t) => {
    const db = t.app.services.db;
    await alterSchema(db, (qr) => qr.dropUniqueConstraint('phases', 'uq_phase_logikal_project'));
    const p = await addProject(db, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');
    const first = await addPhase(db, p);
    const second = await addPhase(db, p);
    await addPhase(db, p, '9f0c6a47-1111-4222-8333-444455556666', 'Phase 2');

    const check = (await t.rpc('admin.check_constraints')).result;
    assert.deepEqual(kinds(check.problems), ['phases:missing_unique:uq_phase_logikal_project']);
    assert.match(check.problems[0].detail, /blocked by existing rows/);

    for (const params of [{ dry_run: true }, {}]) {
      const res = await t.rpc('admin.fix_constraints', params);
      assert.equal(res.error?.code, -32011, JSON.stringify(res));
      assert.equal(res.error.data.name, 'odoo.exceptions.ValidationError');
      assert.match(res.error.message, /refused/);
      assert.match(res.error.message, /no row was deleted/);
      assert.ok(res.error.message.includes(`logikal_id="${NULL_GUID}"`), res.error.message);
      assert.ok(res.error.message.includes(`id ${first}, ${second}`), res.error.message);
    }
    assert.equal(await count(db, 'phases'), 3);
    assert.deepEqual(kinds((await t.rpc('admin.check_constraints')).result.problems), ['phases:missing_unique:uq_phase_logikal_project']);

    // Once a person resolves the duplicate, the fix goes through.
    await sql(db, 'DELETE FROM phases WHERE id = ?', [second]);
    const fix = (await t.rpc('admin.fix_constraints')).result;
    assert.equal(fix.ok, true);
    assert.equal(await count(db, 'phases'), 2);
  }));

test(`[${dialect}] a missing foreign key is restored without losing child rows or reusing ids`, () =>
  withApp(async (t) => {
    const db = t.app.services.db;
    const p = await addProject(db, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');
    const ph = await addPhase(db, p);
    for (let i = 0; i < 3; i++) await addElevation(db, p, ph, `e000000${i}-0000-4000-8000-000000000000`, `P0${i}`);
    const gone = await addPhase(db, p, '9f0c6a47-1111-4222-8333-444455556666', 'to delete');
    await sql(db, 'DELETE FROM phases WHERE id = ?', [gone]);
    await alterSchema(db, (qr) => qr.dropForeignKey('phases', 'fk_phases_project'));

    const check = (await t.rpc('admin.check_constraints')).result;
    assert.deepEqual(kinds(check.problems), ['phases:missing_foreign_key:fk_phases_project']);
    if (dialect === 'sqlite') assert.match(check.problems[0].fix, /^rebuild table phases/);
    else assert.match(check.problems[0].fix, /ADD CONSTRAINT "fk_phases_project" FOREIGN KEY/);

    // An orphan blocks the foreign key: refused and kept.
    const orphan = await addPhase(db, p + 1000, '9f0c6a47-2222-4222-8333-444455556666', 'orphan');
    const refused = await t.rpc('admin.fix_constraints');
    assert.equal(refused.error?.code, -32011);
    assert.match(refused.error.message, new RegExp(`id ${orphan} has project_id=${p + 1000} with no projects row`));
    await sql(db, 'DELETE FROM phases WHERE id = ?', [orphan]);

    const fix = (await t.rpc('admin.fix_constraints')).result;
    assert.equal(fix.ok, true, JSON.stringify(fix));
    assert.deepEqual(kinds(fix.fixed), ['phases:missing_foreign_key:fk_phases_project']);
    assert.equal(await count(db, 'elevations'), 3, 'rebuilding the parent table must not cascade');
    assert.equal(await count(db, 'phases'), 1);
    assert.equal((await t.rpc('admin.check_constraints')).result.ok, true);
    await assert.rejects(addPhase(db, p + 1000, '9f0c6a47-3333-4222-8333-444455556666', 'orphan'), /foreign key|FOREIGN KEY/);
    const next = await addPhase(db, p, '9f0c6a47-4444-4222-8333-444455556666', 'new');
    assert.ok(next > orphan, `id ${next} must not reuse a deleted id (${orphan})`);
  }));

test(`[${dialect}] a global unique constraint on elevations.logikal_id is dropped; the partial index is checked`, () =>
  withApp(async (t) => {
    const db = t.app.services.db;
    await alterSchema(db, async (qr) => {
      const { TableUnique } = await import('typeorm');
      await qr.createUniqueConstraint('elevations', new TableUnique({ name: 'elevations_logikal_id_key', columnNames: ['logikal_id'] }));
      await qr.dropIndex('sync_runs', 'uq_sync_runs_active_target');
      await qr.query('CREATE INDEX uq_sync_runs_active_target ON sync_runs (target_key)');
    });
    const check = (await t.rpc('admin.check_constraints')).result;
    assert.deepEqual(kinds(check.problems), [
      'elevations:unexpected_unique:elevations_logikal_id_key',
      'sync_runs:wrong_definition:uq_sync_runs_active_target',
    ]);
    assert.match(
      check.problems.find((p: { table: string }) => p.table === 'sync_runs').detail,
      /is a index on \(target_key\), expected a partial unique index/,
    );
    const fix = (await t.rpc('admin.fix_constraints')).result;
    assert.equal(fix.ok, true, JSON.stringify(fix.remaining));
    assert.equal((await t.rpc('admin.check_constraints')).result.ok, true);
    const p = await addProject(db, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'A');
    const q = await addProject(db, 'a1b2c3d4-0000-4000-8000-000000000001', 'B');
    await addElevation(db, p, await addPhase(db, p), NULL_GUID, 'P01');
    await addElevation(db, q, await addPhase(db, q), NULL_GUID, 'P01');
    assert.equal((await t.rpc('admin.check_constraints')).result.null_guid_rows.elevations, 2);
  }));

test(`[${dialect}] a foreign key with the wrong ON DELETE (to stored_files) is replaced; rows and references are kept`, () =>
  withApp(async (t) => {
    const db = t.app.services.db;
    const p = await addProject(db, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');
    const e = await addElevation(db, p, await addPhase(db, p), 'e0000001-0000-4000-8000-000000000000', 'P01');
    const file = await insertId(db, 'stored_files', {
      sha256: 'a'.repeat(64),
      size: 3,
      content: Buffer.from('abc'),
      created_at: '2026-01-01 00:00:00',
    });
    await sql(db, 'UPDATE elevations SET parts_list_file_id = ? WHERE id = ?', [file, e]);
    await insertId(db, 'elevation_glass', { elevation_id: e, glass_id: 'G1' });
    await alterSchema(db, async (qr) => {
      const { TableForeignKey } = await import('typeorm');
      await qr.dropForeignKey('elevations', 'fk_elevations_parts_list_file');
      await qr.createForeignKey(
        'elevations',
        new TableForeignKey({
          name: 'fk_elevations_parts_list_file',
          columnNames: ['parts_list_file_id'],
          referencedTableName: 'stored_files',
          referencedColumnNames: ['id'],
          onDelete: 'CASCADE',
        }),
      );
    });

    const check = (await t.rpc('admin.check_constraints')).result;
    assert.deepEqual(kinds(check.problems), ['elevations:wrong_foreign_key:fk_elevations_parts_list_file']);
    assert.match(check.problems[0].detail, /ON DELETE CASCADE, expected a .* ON DELETE SET NULL/);
    const fix = (await t.rpc('admin.fix_constraints')).result;
    assert.equal(fix.ok, true, JSON.stringify(fix));
    assert.deepEqual(kinds(fix.fixed), ['elevations:wrong_foreign_key:fk_elevations_parts_list_file']);
    assert.equal(await count(db, 'elevation_glass'), 1, 'rebuilding elevations must not cascade into its glass rows');
    assert.equal(Number((await sql(db, 'SELECT parts_list_file_id AS f FROM elevations WHERE id = ?', [e]))[0].f), file);
    // The repaired key sets null instead of deleting the elevation.
    await sql(db, 'DELETE FROM stored_files WHERE id = ?', [file]);
    assert.equal(await count(db, 'elevations'), 1);
    assert.equal((await sql(db, 'SELECT parts_list_file_id AS f FROM elevations WHERE id = ?', [e]))[0].f, null);
  }));

test(`[${dialect}] both methods need the admin scope`, () =>
  withApp(async (t) => {
    const { key } = await t.app.services.apiKeys.create('odoo-reader', ['read', 'sync']);
    for (const m of ['admin.check_constraints', 'admin.fix_constraints']) {
      const denied = await t.rpc(m, [], key);
      assert.equal(denied.error?.code, -32001, m);
      assert.match(denied.error.message, /lacks the "admin" scope/);
      assert.equal((await t.rpc(m, [], null)).error?.code, -32001);
    }
    const bad = await t.rpc('admin.fix_constraints', { dry_run: 'yes' });
    assert.equal(bad.error?.code, -32602);
    assert.equal((await t.rpc('admin.check_constraints', [], key.replace(/.$/, 'x'))).error?.code, -32001);
  }));
