import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Elevation, ElevationGlass, Phase, Project, NULL_GUID } from '../../entities';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';

describe('sync.force_project over JSON-RPC', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig.close();
  });

  it('mirrors DOS22309 completely: 2 phases, 17 elevations, 17 parsed parts lists', async () => {
    const res = await rig.bridge.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: 'Demo Odoo', wait_seconds: 60 });
    assert.equal(res.error, undefined, JSON.stringify(res.error));
    const r = res.result;
    assert.equal(r.success, true, r.message);
    assert.equal(r.state, 'succeeded');
    assert.equal(r.phases_synced, 2);
    assert.equal(r.elevations_synced, 17);
    assert.equal(r.parts_lists_synced, 17);
    assert.equal(r.parts_lists_failed, 0);
    assert.equal(r.parts_lists_unchanged, 0);
    assert.equal(r.thumbnails_synced, 17);
    assert.deepEqual(r.failures, []);

    const ds = rig.bridge.app.services.db.reader;
    const project = await ds.getRepository(Project).findOneByOrFail({ name: 'DOS22309' });
    const phases = await ds.getRepository(Phase).findBy({ projectId: project.id });
    assert.equal(phases.length, 2);
    assert.equal(phases.filter((p) => p.logikalId === NULL_GUID).length, 1);
    const els = await ds
      .getRepository(Elevation)
      .createQueryBuilder('e')
      .leftJoinAndSelect('e.thumbnailFile', 'tf')
      .leftJoinAndSelect('e.partsListFile', 'pf')
      .where('e.projectId = :id', { id: project.id })
      .getMany();
    assert.equal(els.length, 17);
    for (const e of els) {
      assert.ok(e.thumbnailFile?.content.subarray(0, 4).toString('hex') === '89504e47', `${e.name} thumbnail`);
      assert.ok(e.partsListFile?.content.subarray(0, 15).toString() === 'SQLite format 3', `${e.name} parts list`);
      assert.equal(e.parseStatus, 'success', `${e.name}: ${e.parseError}`);
      assert.ok(e.systemName, `${e.name} system name`);
      assert.ok((e.widthOut ?? 0) > 0 && (e.heightOut ?? 0) > 0, `${e.name} dimensions`);
      assert.ok((e.partsCount ?? 0) > 0);
      const glass = await ds.getRepository(ElevationGlass).countBy({ elevationId: e.id });
      assert.ok(glass >= 1, `${e.name} glass rows`);
    }
  });
});
