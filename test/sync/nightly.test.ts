import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';

describe('nightly smart sync', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ env: { TRACKED_DIRECTORIES: 'Demo Odoo' } });
  });
  after(async () => {
    await rig.close();
  });

  it('one run per firing, however many fire it: the tracked directory refreshed, each project a child smart sync', async () => {
    const nightlies = rig.bridge.app.services.sync.nightlies;
    const at = new Date('2026-11-30T02:00:00.250Z');
    const [first, second] = await Promise.all([nightlies.fire(at, 'cron'), nightlies.fire(new Date('2026-11-30T02:00:00.900Z'), 'cron')]);
    const outcomes = [first.outcome, second.outcome].sort();
    assert.deepEqual(outcomes, ['started', 'taken'], 'exactly one of two simultaneous firings starts a nightly');
    assert.equal(first.fire_at, '2026-11-30T02:00:00.000Z');
    const runId = (first.outcome === 'started' ? first : second).run_id!;

    const skipped = await nightlies.fire(new Date('2026-11-30T02:00:05Z'), 'cron');
    assert.equal(skipped.outcome, 'skipped', 'a firing while the previous nightly runs is skipped');
    assert.equal(skipped.run_id, runId);

    const res = (await rig.bridge.rpc('sync.status', { run_id: runId })).result as { state: string };
    assert.ok(['running', 'succeeded'].includes(res.state));
    const done = await nightlies.runNow(120, 'test');
    assert.equal(done.run_id, runId, 'run_nightly joins the nightly that runs');
    assert.equal(done.state, 'succeeded', done.message);
    assert.match(done.message, /^3 of 3 projects synced/);
    assert.equal(done.projects_total, 3);
    assert.equal(done.children.length, 3, 'one child per project');
    for (const c of done.children) assert.equal(c.state, 'succeeded');
    const runs = (await rig.bridge.rpc('sync.runs', { limit: 20 })).result as Array<{
      run_id: number;
      kind: string;
      parent_run_id: number | null;
    }>;
    const children = runs.filter((r) => r.parent_run_id === runId);
    assert.equal(children.length, 3);
    assert.ok(
      children.every((c) => c.kind === 'project'),
      'children are ordinary smart syncs',
    );
    assert.equal((await nightlies.lastFiring())?.toISOString(), '2026-11-30T02:00:05.000Z');
    const last = (await nightlies.lastNightly())!;
    assert.equal(last.run_id, runId);

    const again = await nightlies.fire(at, 'cron');
    assert.equal(again.outcome, 'taken', 'a firing already claimed is not run twice');
    const stats = rig.emulator.stats();
    assert.equal(stats.logins, stats.logouts);
  });
});
