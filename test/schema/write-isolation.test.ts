import { dialect } from '../helpers/test-env';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Phase, SyncRun } from '../../entities';
import { startTestApp } from '../helpers/test-app';
import { addElevation, addPhase, addProject, alterSchema, count, kinds } from './schema-test-util';

const gate = (): { open: () => void; opened: Promise<void> } => {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
};

// The schema repair rebuilds tables on SQLite; it must never run inside, or beside, a sync's write.
test(`[${dialect}] fix_constraints waits for a write that is in progress and loses no rows`, async () => {
  const t = await startTestApp();
  try {
    const db = t.app.services.db;
    const p = await addProject(db, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');
    const ph = await addPhase(db, p);
    for (let i = 0; i < 3; i++) await addElevation(db, p, ph, `e000000${i}-0000-4000-8000-000000000000`, `P0${i}`);
    await alterSchema(db, (qr) => qr.dropForeignKey('phases', 'fk_phases_project'));

    const inside = gate();
    const release = gate();
    const writer = db.write(async (m) => {
      await m.query('UPDATE elevations SET name = name');
      inside.open();
      await release.opened;
    });
    await inside.opened;
    const fixing = t.rpc('admin.fix_constraints');
    await new Promise((r) => setTimeout(r, 50));
    release.open();
    await writer;
    const fix = (await fixing).result;
    assert.equal(fix.ok, true, JSON.stringify(fix));
    assert.deepEqual(kinds(fix.fixed), ['phases:missing_foreign_key:fk_phases_project']);
    assert.equal(await count(db, 'elevations'), 3, 'no child row lost');
  } finally {
    await t.close();
  }
});

test(`[${dialect}] fix_constraints beside hundreds of concurrent phase upserts keeps every row`, async () => {
  const t = await startTestApp();
  try {
    const db = t.app.services.db;
    const p = await addProject(db, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');
    await alterSchema(db, (qr) => qr.dropForeignKey('phases', 'fk_phases_project'));
    const N = 400;
    const upserts = Array.from({ length: N }, (_, i) =>
      db.write((m) =>
        m
          .getRepository(Phase)
          .upsert({ logikalId: `a0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, projectId: p, name: `Phase ${i}`, active: true }, [
            'logikalId',
            'projectId',
          ]),
      ),
    );
    await new Promise((r) => setImmediate(r));
    const fix = (await t.rpc('admin.fix_constraints')).result;
    await Promise.all(upserts);
    assert.equal(fix.ok, true, JSON.stringify(fix));
    assert.equal(await count(db, 'phases'), N, 'every upserted phase is there');
    assert.equal((await t.rpc('admin.check_constraints')).result.ok, true);
  } finally {
    await t.close();
  }
});

test(`[${dialect}] a plain write issued during another task's transaction that then rolls back survives`, async () => {
  const t = await startTestApp();
  try {
    const db = t.app.services.db;
    const runs = t.app.services.sync.runs;
    const { run } = await runs.begin('force_project', { directoryPath: 'Demo Odoo', projectRef: 'DOS22309' }, 'project:isolation', 'test');
    const p = await addProject(db, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');

    const inside = gate();
    const release = gate();
    const failing = db.write(async (m) => {
      await m.query(dialect === 'postgres' ? 'UPDATE projects SET name = $1 WHERE id = $2' : 'UPDATE projects SET name = ? WHERE id = ?', [
        'half-written',
        p,
      ]);
      inside.open();
      await release.opened;
      throw new Error('the unit fails after its first statement');
    });
    await inside.opened;
    // Issued while the transaction is open, between its awaits.
    const finishing = runs.finish(run.id, 'succeeded', 'done', []);
    const during = await db.reader.query('SELECT name FROM projects');
    assert.equal(during[0].name, 'DOS22410', 'a reader never sees uncommitted data');
    release.open();
    await assert.rejects(failing, /first statement/);
    await finishing;

    const after = await db.reader.getRepository(SyncRun).findOneByOrFail({ id: run.id });
    assert.equal(after.state, 'succeeded', 'the plain write was not rolled back with the other transaction');
    assert.equal((await db.reader.query('SELECT name FROM projects'))[0].name, 'DOS22410', 'the failed unit left nothing');
  } finally {
    await t.close();
  }
});
