import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Directory, Elevation, NULL_GUID, Phase, Project } from '../../entities';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { assertHonest, DEMO, forceSync, closeBalanced } from '../helpers/sync-checks';

const SUB2 = 'Demo Odoo/Sublevel 1 Testing/Sublevel 2 Testing';
const UNICODE_PROJECT = 'Façade "Zuid" – blok B';

describe('tree sync and per-project identity (null-GUID phases, same names in two projects)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => closeBalanced(rig));

  it('sync.directories mirrors the whole tree with parent links', async () => {
    const res = await rig.bridge.rpc('sync.directories', { wait_seconds: 30 });
    assert.equal(res.error, undefined, JSON.stringify(res.error));
    assert.equal(res.result.state, 'succeeded', res.result.message);
    const dirs = await rig.bridge.app.services.db.reader.getRepository(Directory).find({ order: { path: 'ASC' } });
    const chain = [
      DEMO,
      'Demo Odoo/Sublevel 1 Testing',
      SUB2,
      `${SUB2}/Sublevel 3 Testing`,
      `${SUB2}/Sublevel 3 Testing/Sublevel 4 Testing`,
    ];
    assert.deepEqual(
      dirs.map((d) => d.path),
      chain,
    );
    const byPath = new Map(dirs.map((d) => [d.path, d]));
    for (const d of dirs) {
      const parent = d.path.includes('/') ? byPath.get(d.path.slice(0, d.path.lastIndexOf('/')))!.id : null;
      assert.equal(d.parentId, parent, `${d.path} parent`);
      assert.equal(d.name, d.path.slice(d.path.lastIndexOf('/') + 1));
      assert.equal(d.active, true);
    }
  });

  it("sync.projects {directory_id: 'Demo Odoo'} mirrors its 3 projects, and a unicode name in a nested directory", async () => {
    const res = await rig.bridge.rpc('sync.projects', { directory_id: DEMO, wait_seconds: 30 });
    assert.equal(res.error, undefined, JSON.stringify(res.error));
    assert.equal(res.result.state, 'succeeded', res.result.message);
    const ds = rig.bridge.app.services.db.reader;
    const demo = await ds.getRepository(Directory).findOneByOrFail({ path: DEMO });
    const projects = await ds.getRepository(Project).find({ where: { directoryId: demo.id }, order: { name: 'ASC' } });
    assert.deepEqual(
      projects.map((p) => p.name),
      ['DOS22269', 'DOS22309', 'DOS22410'],
    );
    assert.ok(projects.every((p) => p.active && /^[0-9a-f-]{36}$/.test(p.logikalId)));

    const nested = await rig.bridge.rpc('sync.projects', { directory_id: SUB2, wait_seconds: 30 });
    assert.equal(nested.result.state, 'succeeded', nested.result.message);
    const sub = await ds.getRepository(Directory).findOneByOrFail({ path: SUB2 });
    const there = await ds.getRepository(Project).findBy({ directoryId: sub.id });
    assert.deepEqual(
      there.map((p) => p.name),
      [UNICODE_PROJECT],
    );
  });

  it('force-syncs the unicode project in the nested directory with its unicode phase and elevation names', async () => {
    const r = await forceSync(rig, UNICODE_PROJECT, SUB2);
    assertHonest(r);
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.phases_synced, 2);
    assert.equal(r.parts_lists_synced, 2);
    const ds = rig.bridge.app.services.db.reader;
    const p = await ds.getRepository(Project).findOneByOrFail({ name: UNICODE_PROJECT });
    const phases = await ds.getRepository(Phase).find({ where: { projectId: p.id }, order: { name: 'ASC' } });
    assert.deepEqual(
      phases.map((x) => x.name),
      ['Fase 2 – Über & "Quotes"', 'Posities zonder levering'],
    );
    const els = await ds.getRepository(Elevation).find({ where: { projectId: p.id }, order: { name: 'ASC' } });
    assert.deepEqual(
      els.map((e) => e.name),
      ["Deur 'A' & B", 'Pui 1 – begane grond'],
    );
    assert.ok(els.every((e) => e.parseStatus === 'success'));
  });

  it('a second project with its own null-GUID default phase syncs too: one null-GUID phase row per project', async () => {
    const first = await forceSync(rig, 'DOS22309');
    assert.equal(first.state, 'succeeded', first.message);
    const second = await forceSync(rig, 'DOS22410');
    assertHonest(second);
    assert.equal(second.state, 'succeeded', second.message);
    assert.equal(second.phases_synced, 1);
    assert.equal(second.elevations_synced, 11);
    assert.equal(second.parts_lists_synced, 11);

    const ds = rig.bridge.app.services.db.reader;
    const a = await ds.getRepository(Project).findOneByOrFail({ name: 'DOS22309' });
    const b = await ds.getRepository(Project).findOneByOrFail({ name: 'DOS22410' });
    const nullPhases = await ds.getRepository(Phase).findBy({ logikalId: NULL_GUID });
    const mine = nullPhases.filter((ph) => ph.projectId === a.id || ph.projectId === b.id);
    assert.equal(mine.length, 2);
    assert.deepEqual(new Set(mine.map((ph) => ph.projectId)), new Set([a.id, b.id]));
    // The older project's default phase still holds its 13 elevations (not taken over by the newer one).
    const phaseA = mine.find((ph) => ph.projectId === a.id)!;
    assert.equal(await ds.getRepository(Elevation).countBy({ phaseId: phaseA.id, active: true }), 13);

    // "P01" exists in both projects: each row carries its own parts list and its own parsed values (MW LIMIT 1 bug).
    const p01s = await ds.getRepository(Elevation).find({ where: { name: 'P01' } });
    assert.equal(p01s.length, 2);
    const [x, y] = p01s;
    assert.notEqual(x.logikalId, y.logikalId);
    assert.notEqual(x.partsListSha256, y.partsListSha256);
    for (const e of p01s) {
      assert.equal(e.parseStatus, 'success');
      assert.equal(e.widthOut, e.width, `${e.logikalId}: parsed width is its own`);
      assert.equal(e.heightOut, e.height, `${e.logikalId}: parsed height is its own`);
    }
  });
});
