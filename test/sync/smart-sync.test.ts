import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Elevation, Project } from '../../entities';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { assertHonest, directSync, forceSync, partsListCalls, partsSnapshot, smartSync, DEMO, closeBalanced } from '../helpers/sync-checks';

// Not UTC on purpose: SQLite timestamps read back raw once made every smart sync re-fetch every thumbnail outside UTC.
process.env.TZ = 'Europe/Amsterdam';

const P03 = '36d528c3-510b-40e0-8874-9a23674a2620';
const P12 = 'ab560328-39c8-4483-9241-b45604283dab'; // in the second phase, "Fase 1 (DEMO)"
const P16 = 'c5e53792-86d6-4e66-9667-7fb67049da26';
const THUMBS = 'GET /elevations/{elevationId}/thumbnail';

describe('smart sync (sync.project): only what changed, nothing marked gone on a failed listing', () => {
  let rig: Rig;
  const row = (logikalId: string) => rig.bridge.app.services.db.reader.getRepository(Elevation).findOneByOrFail({ logikalId });
  before(async () => {
    rig = await startRig();
    const r = await forceSync(rig, 'DOS22309');
    assert.equal(r.state, 'succeeded', r.message);
  });
  after(() => closeBalanced(rig));

  it('nothing changed: no parts list and no thumbnail downloaded, nothing counted as synced', async () => {
    const calls = partsListCalls(rig.emulator);
    const thumbs = rig.emulator.stats().callsByEndpoint[THUMBS] ?? 0;
    const r = await smartSync(rig, 'DOS22309');
    assertHonest(r);
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.kind, 'project');
    assert.equal(r.parts_lists_synced, 0);
    assert.equal(r.parts_lists_failed, 0);
    assert.equal(r.elevations_synced, 17);
    assert.equal(partsListCalls(rig.emulator), calls, 'no parts-list download');
    assert.equal(rig.emulator.stats().callsByEndpoint[THUMBS] ?? 0, thumbs, 'no thumbnail download');
  });

  it('touchElevation: exactly that elevation is downloaded and re-parsed', async () => {
    const before = await partsSnapshot(rig.bridge.app.services.db.reader, (await row(P12)).id);
    const other = await partsSnapshot(rig.bridge.app.services.db.reader, (await row(P03)).id);
    const calls = partsListCalls(rig.emulator);
    const touched = rig.emulator.touchElevation(P12);
    const r = await smartSync(rig, 'DOS22309');
    assertHonest(r);
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.parts_lists_synced, 1);
    assert.equal(partsListCalls(rig.emulator), calls + 1, 'one parts-list download');
    const after = await row(P12);
    const snap = await partsSnapshot(rig.bridge.app.services.db.reader, after.id);
    assert.notEqual(snap.partsListSha256, before.partsListSha256, 'new bytes stored');
    assert.equal(snap.parseStatus, 'success');
    assert.equal(after.versionId, String(touched.versionId).toLowerCase(), 'new versionId mirrored');
    assert.deepEqual(await partsSnapshot(rig.bridge.app.services.db.reader, (await row(P03)).id), other, 'others untouched');
    const again = await smartSync(rig, 'DOS22309');
    assert.equal(again.parts_lists_synced, 0, 'and the next smart sync has nothing to do');
  });

  it('removeElevation: marked active=false (not deleted) after the next complete listing', async () => {
    rig.emulator.removeElevation(P03);
    const r = await smartSync(rig, 'DOS22309');
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.elevations_synced, 16);
    const gone = await row(P03);
    assert.equal(gone.active, false);
    assert.equal(gone.parseStatus, 'success', 'its data is kept');
    const project = await rig.bridge.app.services.db.reader.getRepository(Project).findOneByOrFail({ name: 'DOS22309' });
    assert.equal(await rig.bridge.app.services.db.reader.getRepository(Elevation).countBy({ projectId: project.id, active: true }), 16);
  });

  it('I2: a sync whose elevation listing failed marks nothing gone', async () => {
    rig.emulator.removeElevation(P16);
    rig.emulator.setFaults({ serverErrorRate: 1, endpoints: ['GET /elevations'] });
    // Fast backoff: the listing is retried in place and replayed on fresh sessions before giving up.
    const { sync } = directSync(rig);
    const r = await sync.syncProject('smart', { projectId: 'DOS22309', directoryId: DEMO, waitSeconds: 30 });
    await sync.drain();
    rig.emulator.setFaults({});
    assert.equal(r.state, 'failed', r.message);
    assert.equal(r.success, false);
    assert.match(r.message, /GET \/elevations failed with 500/);
    assert.equal((await row(P16)).active, true, 'not marked gone on a failed listing');
    const project = await rig.bridge.app.services.db.reader.getRepository(Project).findOneByOrFail({ name: 'DOS22309' });
    assert.equal(await rig.bridge.app.services.db.reader.getRepository(Elevation).countBy({ projectId: project.id, active: true }), 16);

    const ok = await smartSync(rig, 'DOS22309');
    assert.equal(ok.state, 'succeeded', ok.message);
    assert.equal((await row(P16)).active, false, 'marked gone once a listing succeeds');
  });
});
