import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Elevation, Project } from '../../entities';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { assertHonest, forceSync, partsSnapshot, closeBalanced } from '../helpers/sync-checks';

/** P05 of DOS22309, in the null-GUID default phase. */
const P05 = '45f58703-8557-450c-9f1a-40bbb8cf83e3';

describe('force sync with one corrupt parts list', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => closeBalanced(rig));

  for (const kind of ['bit-flips', 'not-sqlite'] as const) {
    it(`${kind}: 16 synced, 1 failed with its reason, state partial, the elevation's previous data intact`, async () => {
      rig.emulator.setFaults({});
      const clean = await forceSync(rig, 'DOS22309');
      assert.equal(clean.state, 'succeeded', clean.message);

      const ds = rig.bridge.app.services.db.reader;
      const row = await ds.getRepository(Elevation).findOneByOrFail({ logikalId: P05 });
      const before = await partsSnapshot(ds, row.id);
      assert.equal(before.parseStatus, 'success');
      assert.ok((before.glass as unknown[]).length >= 1);
      const project = await ds.getRepository(Project).findOneByOrFail({ name: 'DOS22309' });
      const othersBefore = await ds.getRepository(Elevation).countBy({ projectId: project.id, parseStatus: 'success' });

      rig.emulator.setFaults({ corruptPartsLists: [P05], corruptKind: kind });
      const r = await forceSync(rig, 'DOS22309');
      assertHonest(r);
      assert.equal(r.success, false);
      assert.equal(r.state, 'partial');
      assert.equal(r.elevations_synced, 17);
      assert.equal(r.parts_lists_synced, 16);
      assert.equal(r.parts_lists_failed, 1);
      assert.equal(r.failures.length, 1);
      assert.equal(r.failures[0].elevation, 'P05');
      assert.match(r.failures[0].reason, /parts list/i);
      assert.match(r.message, /1 failure.*P05/);
      assert.match(r.message, /1 of 17 parts lists failed/);
      assert.equal(rig.emulator.stats().faultsInjected.corruptPartsList > 0, true);

      // The same answer is what sync.status reports for the run later.
      const status = await rig.bridge.rpc('sync.status', { run_id: r.run_id });
      assert.deepEqual({ ...status.result, duration_seconds: 0 }, { ...r, duration_seconds: 0 });

      assert.deepEqual(await partsSnapshot(ds, row.id), before, 'the failed elevation keeps its previous parts list and parse');
      assert.equal(await ds.getRepository(Elevation).countBy({ projectId: project.id, parseStatus: 'success' }), othersBefore);
    });
  }
});
