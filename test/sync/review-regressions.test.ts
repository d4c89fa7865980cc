import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { closeBalanced, DEMO, forceSync, smartSync, waitTerminal } from '../helpers/sync-checks';

const P12 = 'ab560328-39c8-4483-9241-b45604283dab';
const DOS22269 = 'f584ee63-90d9-4903-9e5f-96f8fc2837fe';
const THUMBS = 'GET /elevations/{elevationId}/thumbnail';
const PARTS = 'GET /elevations/selected/parts-list';

describe('sync regressions found in review', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => closeBalanced(rig));

  it('a thumbnail whose download failed is fetched again by the next smart sync', async () => {
    assert.equal((await forceSync(rig, 'DOS22309')).state, 'succeeded');
    rig.emulator.touchElevation(P12);
    rig.emulator.setFaults({ script: Array.from({ length: 5 }, () => ({ endpoint: THUMBS, kind: 'serverError' as const, status: 503 })) });
    const failed = await smartSync(rig, 'DOS22309');
    rig.emulator.setFaults({});
    assert.equal(failed.state, 'partial');
    assert.match(failed.failures.map((f) => f.elevation).join(), /P12 \(thumbnail\)/);
    const before = rig.emulator.stats().callsByEndpoint[THUMBS] ?? 0;
    const again = await smartSync(rig, 'DOS22309');
    assert.equal(again.state, 'succeeded', again.message);
    assert.equal((rig.emulator.stats().callsByEndpoint[THUMBS] ?? 0) - before, 1, 'exactly the failed thumbnail is fetched again');
    assert.equal(again.thumbnails_synced, 1);
  });

  it('a first sync asked for by name and by GUID at once does the work once', async () => {
    const downloadsBefore = rig.emulator.stats().callsByEndpoint[PARTS] ?? 0;
    const [a, b] = await Promise.all([
      rig.bridge.rpc('sync.force_project', { project_id: 'DOS22269', directory_id: DEMO, wait_seconds: 0 }),
      rig.bridge.rpc('sync.force_project', { project_id: DOS22269, directory_id: DEMO, wait_seconds: 0 }),
    ]);
    const [ra, rb] = await Promise.all([waitTerminal(rig, a.result.run_id, 30_000), waitTerminal(rig, b.result.run_id, 30_000)]);
    const done = [ra, rb].filter((r) => r.state === 'succeeded');
    const superseded = [ra, rb].filter((r) => /^Superseded by run \d+/.test(r.message));
    assert.equal(done.length, 1, JSON.stringify([ra, rb]));
    assert.equal(superseded.length, 1, JSON.stringify([ra, rb]));
    assert.equal(superseded[0].message, `Superseded by run ${done[0].run_id}, which syncs the same project`);
    const downloads = (rig.emulator.stats().callsByEndpoint[PARTS] ?? 0) - downloadsBefore;
    assert.equal(downloads, done[0].parts_lists_synced, 'each parts list downloaded once');
  });
});
