import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Project } from '../../entities';
import type { SyncResult } from '../../server/sync/types';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { assertHonest, checkpoint, DEMO, forceSync, waitTerminal, closeBalanced } from '../helpers/sync-checks';

async function startForce(rig: Rig, projectId: string): Promise<SyncResult> {
  const res = await rig.bridge.rpc('sync.force_project', { project_id: projectId, directory_id: DEMO, wait_seconds: 0 });
  assert.equal(res.error, undefined, JSON.stringify(res.error));
  return res.result as SyncResult;
}

describe('force sync: coalescing, parallel projects, answering at once', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => closeBalanced(rig));

  it('two concurrent force syncs of one project are one run with one set of sessions', async () => {
    await checkpoint(rig);
    const [a, b] = await Promise.all([forceSync(rig, 'DOS22309'), forceSync(rig, 'DOS22309')]);
    assert.equal(a.run_id, b.run_id, 'the second call joined the first run');
    assert.equal(a.state, 'succeeded', a.message);
    assert.equal(b.state, 'succeeded');
    assert.equal(b.parts_lists_synced, 17);
    const together = rig.emulator.stats();
    assert.equal(together.callsByEndpoint['GET /elevations/selected/parts-list'], 17, 'each parts list downloaded once');

    // One run's worth of sessions, measured on a solo run of the same project.
    await checkpoint(rig);
    const solo = await forceSync(rig, 'DOS22309');
    assert.notEqual(solo.run_id, a.run_id, 'a finished run is not joined');
    const one = rig.emulator.stats().logins;
    assert.ok(together.logins <= one + 3, `logins for the pair (${together.logins}) ≈ one run (${one})`);
    const runs = (await rig.bridge.rpc('sync.runs', { project_id: 'DOS22309' })).result as SyncResult[];
    assert.deepEqual(
      runs.map((r) => r.run_id),
      [solo.run_id, a.run_id],
    );
  });

  it(
    'a force sync asked for while the first run is under way (project row already written) joins it, by name or GUID',
    { timeout: 30_000 },
    async (t) => {
      // A parts-list call that hangs for a moment keeps the run going after the project row exists.
      rig.emulator.setFaults({ hangSeconds: 1, script: [{ endpoint: 'GET /elevations/selected/parts-list', kind: 'timeout' }] });
      t.after(() => rig.emulator.setFaults({}));
      const ds = rig.bridge.app.services.db.reader;
      assert.equal(await ds.getRepository(Project).countBy({ name: 'DOS22269' }), 0, 'a project the mirror has never seen');
      const first = await startForce(rig, 'DOS22269');
      let stored: Project | null = null;
      for (let i = 0; i < 400 && !stored; i++) {
        stored = await ds.getRepository(Project).findOneBy({ name: 'DOS22269' });
        if (!stored) await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(stored, 'the run wrote the project row');
      const byName = await startForce(rig, 'DOS22269');
      const byGuid = await startForce(rig, stored.logikalId);
      const smart = (await rig.bridge.rpc('sync.project', { project_id: 'DOS22269', directory_id: DEMO, wait_seconds: 0 }))
        .result as SyncResult;
      assert.equal(
        (await rig.bridge.rpc('sync.status', { run_id: first.run_id })).result.state,
        'running',
        'still running when the others asked',
      );
      assert.equal(byName.run_id, first.run_id, 'by name');
      assert.equal(byGuid.run_id, first.run_id, 'by GUID');
      assert.equal(smart.run_id, first.run_id, 'a smart sync while a force sync runs joins it');
      const done = await waitTerminal(rig, first.run_id);
      assert.equal(done.state, 'succeeded', done.message);
      assert.equal(done.parts_lists_synced, 8);
    },
  );

  it('a force sync of another project runs in parallel, with its own run', async () => {
    await checkpoint(rig);
    const [a, b] = await Promise.all([startForce(rig, 'DOS22309'), startForce(rig, 'DOS22410')]);
    assert.notEqual(a.run_id, b.run_id);
    assert.equal(a.state, 'running');
    assert.equal(b.state, 'running');
    const [ra, rb] = await Promise.all([waitTerminal(rig, a.run_id), waitTerminal(rig, b.run_id)]);
    assert.equal(ra.state, 'succeeded', ra.message);
    assert.equal(rb.state, 'succeeded', rb.message);
    assert.equal(ra.parts_lists_synced, 17);
    assert.equal(rb.parts_lists_synced, 11);
    const overlap = Date.parse(ra.started_at) < Date.parse(rb.finished_at!) && Date.parse(rb.started_at) < Date.parse(ra.finished_at!);
    assert.ok(overlap, 'the two runs overlapped in time');
    assert.ok(rig.emulator.stats().peakSessions <= 4, 'both runs shared the session cap');
  });

  it('wait_seconds 0 answers at once with state running; sync.status reaches succeeded; sync.runs lists it', async () => {
    const t0 = Date.now();
    const r = await startForce(rig, 'DOS22410');
    assert.ok(Date.now() - t0 < 1000, 'answered at once');
    assert.equal(r.state, 'running');
    assert.equal(r.success, false);
    assert.ok(Number.isInteger(r.run_id) && r.run_id > 0);
    assert.equal(r.finished_at, null);
    const done = await waitTerminal(rig, r.run_id);
    assertHonest(done);
    assert.equal(done.state, 'succeeded', done.message);
    assert.equal(done.success, true);
    assert.equal(done.kind, 'force_project');
    assert.equal(done.project_id, 'DOS22410');
    assert.equal(done.directory_id, DEMO);
    assert.equal(done.phases_synced, 1);
    assert.equal(done.elevations_synced, 11);
    assert.equal(done.parts_lists_synced, 11);
    assert.equal(done.thumbnails_synced, 11);
    const runs = (await rig.bridge.rpc('sync.runs', { limit: 50 })).result as SyncResult[];
    const listed = runs.find((x) => x.run_id === r.run_id);
    assert.ok(listed, 'sync.runs lists the run');
    assert.equal(listed.state, 'succeeded');
    const mine = (await rig.bridge.rpc('sync.runs', { project_id: 'DOS22410' })).result as SyncResult[];
    assert.equal(mine[0].run_id, r.run_id, 'newest first, filtered by project');
  });
});
