import { dialect } from '../helpers/test-env';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../helpers/test-app';
import { transaction } from '../../server/db/exclusive';
import { addElevation, addPhase, addProject, alterSchema, count, kinds } from './schema-test-util';

// The sync writes each elevation in a transaction; a schema repair must never run inside one
// (on SQLite the table rebuild would then cascade-delete child rows).
test(`[${dialect}] fix_constraints waits for a sync's transaction and loses no rows`, async () => {
  const t = await startTestApp();
  try {
    const ds = t.app.services.ds;
    const p = await addProject(ds, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');
    const ph = await addPhase(ds, p);
    for (let i = 0; i < 3; i++) await addElevation(ds, p, ph, `e000000${i}-0000-4000-8000-000000000000`, `P0${i}`);
    await alterSchema(ds, (qr) => qr.dropForeignKey('phases', 'fk_phases_project'));

    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let entered!: () => void;
    const inside = new Promise<void>((r) => { entered = r; });
    const writer = transaction(ds, async (m) => {
      await m.query('UPDATE elevations SET name = name');
      entered();
      await held;
    });
    await inside;
    const fixing = t.rpc('admin.fix_constraints');
    await new Promise((r) => setTimeout(r, 50));
    release();
    await writer;
    const fix = (await fixing).result;
    assert.equal(fix.ok, true, JSON.stringify(fix));
    assert.deepEqual(kinds(fix.fixed), ['phases:missing_foreign_key:fk_phases_project']);
    assert.equal(await count(ds, 'elevations'), 3, 'no child row lost');
  } finally {
    await t.close();
  }
});

test(`[${dialect}] on SQLite, fix_constraints refuses while a transaction it cannot wait for is open`, { skip: dialect !== 'sqlite' }, async () => {
  const t = await startTestApp();
  try {
    const ds = t.app.services.ds;
    const p = await addProject(ds, '15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410');
    const ph = await addPhase(ds, p);
    await addElevation(ds, p, ph, 'e0000001-0000-4000-8000-000000000000', 'P01');
    await alterSchema(ds, (qr) => qr.dropForeignKey('phases', 'fk_phases_project'));
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let entered!: () => void;
    const inside = new Promise<void>((r) => { entered = r; });
    // A raw transaction, outside the bridge's turn-taking.
    const raw = ds.transaction(async () => { entered(); await held; });
    await inside;
    const res = await t.rpc('admin.fix_constraints');
    release();
    await raw;
    assert.equal(res.error?.data.name, 'odoo.exceptions.UserError');
    assert.match(res.error.message, /busy/);
    assert.equal(await count(ds, 'elevations'), 1);
    assert.equal((await t.rpc('admin.fix_constraints')).result.ok, true, 'works once the transaction is over');
  } finally {
    await t.close();
  }
});
