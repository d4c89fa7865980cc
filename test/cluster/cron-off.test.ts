import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ScheduleView } from '../../server/scheduler';
import type { NightlyResult } from '../../server/sync/nightly-types';
import type { SyncResult } from '../../server/sync/types';
import { dialect } from '../helpers/test-env';
import { assertClusterIdle, closeAll, Cluster, sleep } from './cluster-rig';
import { assertOneNightlyPerFiring, DEMO_PROJECTS, describeNightlies, readNightlies } from './nightly-checks';

/** How long the instances are watched for a nightly that must not come. */
const QUIET_MS = 8_000;

describe('SYNC_CRON=off', () => {
  after(closeAll);

  it('no nightly ever starts by itself, sync.schedule says disabled, sync.run_nightly still runs one', { timeout: 240_000 }, async (t) => {
    // Two instances where they can share a database: neither fires, and the manual nightly's children go to either.
    const instances = dialect === 'postgres' ? 2 : 1;
    const cluster = await Cluster.start({
      instances,
      emulator: { latencyScale: 0.05, maxSessions: 4 },
      env: { SYNC_CRON: 'off', TRACKED_DIRECTORIES: 'Demo Odoo', LOGIKAL_MAX_SESSIONS: '4' },
    });
    for (const b of cluster.bridges) {
      const s = await b.rpc<ScheduleView>('sync.schedule', {});
      assert.deepEqual(
        { enabled: s.enabled, cron: s.cron, next: s.next_fire_time, lastFiring: s.last_firing, lastNightly: s.last_nightly },
        { enabled: false, cron: null, next: null, lastFiring: null, lastNightly: null },
        `${b.env.BRIDGE_INSTANCE_ID}: the schedule is off`,
      );
      assert.deepEqual(s.tracked_directories, ['Demo Odoo']);
    }

    const quietUntil = Date.now() + QUIET_MS;
    while (Date.now() < quietUntil) {
      for (const b of cluster.bridges) {
        const runs = await b.rpc<SyncResult[]>('sync.runs', { limit: 50 });
        assert.deepEqual(runs, [], `${b.env.BRIDGE_INSTANCE_ID}: nothing ran by itself`);
      }
      await sleep(500);
    }
    const quiet = await cluster.withDb(readNightlies);
    assert.equal(quiet.firings.length, 0, `no firing recorded${describeNightlies(quiet)}`);

    const r = await cluster.bridges[instances - 1].rpc<NightlyResult>('sync.run_nightly', { wait_seconds: 110 }, { timeoutMs: 150_000 });
    t.diagnostic(`manual nightly ${r.run_id}: ${r.state} in ${r.duration_seconds} s, ${r.message}`);
    assert.equal(r.kind, 'nightly');
    assert.equal(r.state, 'succeeded', `${r.message} ${JSON.stringify(r.failures)}${cluster.lastWarnings()}`);
    assert.equal(r.projects_total, DEMO_PROJECTS.size);
    assert.equal(r.projects_synced, DEMO_PROJECTS.size);
    assert.deepEqual(r.children.map((c) => c.project_id).sort(), [...DEMO_PROJECTS.keys()].sort(), 'one child per project of Demo Odoo');
    for (const c of r.children) assert.equal(c.state, 'succeeded', `child ${c.run_id}`);

    const rec = await cluster.withDb(readNightlies);
    assert.deepEqual(
      rec.firings.map((f) => [f.source, f.outcome, f.runId]),
      [['manual', 'started', r.run_id]],
      'the manual nightly is the only firing',
    );
    assertOneNightlyPerFiring(rec, { periodMs: 1000, sources: ['manual'] });
    for (const b of cluster.bridges) {
      const s = await b.rpc<ScheduleView>('sync.schedule', {});
      assert.equal(s.enabled, false);
      assert.equal(s.last_firing, null, 'a manual nightly is no firing of the schedule');
      assert.equal(s.last_nightly?.run_id, r.run_id, `${b.env.BRIDGE_INSTANCE_ID} reports the manual nightly as the last`);
    }
    if (instances > 1) t.diagnostic(`children run by ${[...new Set(rec.children.get(r.run_id)?.map((c) => c.ownerInstance))].join(', ')}`);

    await cluster.stopAll();
    await assertClusterIdle(cluster);
    await cluster.close();
  });
});
