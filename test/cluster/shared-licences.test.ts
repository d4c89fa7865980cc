import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncResult } from '../../server/sync/types';
import { assertClusterIdle, closeAll, Cluster, MULTI_INSTANCE_SKIP, PARTS_LIST_CALL, sleep, TERMINAL_STATES } from './cluster-rig';

/** LogiKal's licences: the emulator's cap, and LOGIKAL_MAX_SESSIONS on every instance (the total, not a share). */
const LICENCES = 4;
/** Slow enough that the three runs overlap for seconds and logins queue for a seat. */
const LATENCY = 0.1;
/** The three projects of "Demo Odoo" and their elevations. */
const PROJECTS: Array<[string, number]> = [
  ['DOS22309', 17],
  ['DOS22410', 11],
  ['DOS22269', 8],
];

describe('three instances, one licence budget: concurrent syncs of different projects', () => {
  after(closeAll);

  it(
    'never above the cap, no login refused, every run finishes with every elevation',
    { skip: MULTI_INSTANCE_SKIP, timeout: 240_000 },
    async (t) => {
      const t0 = Date.now();
      const cluster = await Cluster.start({
        instances: 3,
        emulator: { latencyScale: LATENCY, maxSessions: LICENCES },
        // One run per instance: each project is synced by a different instance.
        env: { LOGIKAL_MAX_SESSIONS: String(LICENCES), MAX_ACTIVE_RUNS: '1' },
      });
      t.diagnostic(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const started = await Promise.all(PROJECTS.map(([project], i) => cluster.bridges[i].forceSync(project, 0)));
      for (const s of started) assert.ok(['queued', 'running'].includes(s.state), `${s.project_id}: ${s.state} ${s.message}`);

      // While they run, every instance is asked about every run: what it says must agree, and a wait for a licence shows.
      let sawWaiting = false;
      let waitingMessage = '';
      const final = new Map<number, SyncResult>();
      const deadline = Date.now() + 180_000;
      while (final.size < started.length) {
        assert.ok(Date.now() < deadline, `runs still active after 180 s${cluster.lastWarnings()}`);
        for (const s of started) {
          const views = await Promise.all(cluster.bridges.map((b) => b.rpc<SyncResult>('sync.status', { run_id: s.run_id })));
          for (const v of views) {
            if (v.waiting_for_licence) {
              sawWaiting = true;
              waitingMessage = v.message;
            }
          }
          if (views.every((v) => TERMINAL_STATES.includes(v.state))) {
            const [first, ...rest] = views;
            for (const v of rest) assert.deepEqual(v, first, `run ${s.run_id} reads the same on every instance`);
            final.set(s.run_id, first);
          }
        }
        await sleep(150);
      }

      const stats = await cluster.emu.stats();
      t.diagnostic(
        `runs: ${[...final.values()].map((r) => `${r.project_id} ${r.duration_seconds} s on ${r.owner_instance}`).join(', ')}; ` +
          `emulator: peak ${stats.peakSessions}, logins ${stats.logins}, refused ${stats.refusedLogins}; waiting shown: ${sawWaiting}`,
      );
      assert.ok(stats.peakSessions <= LICENCES, `LogiKal never had more than ${LICENCES} sessions (peak ${stats.peakSessions})`);
      assert.equal(stats.refusedLogins, 0, 'no login was refused for the licence limit');
      for (const [i, s] of started.entries()) {
        const r = final.get(s.run_id)!;
        const [project, elevations] = PROJECTS[i];
        assert.deepEqual(
          {
            project: r.project_id,
            state: r.state,
            done: r.parts_lists_synced + r.parts_lists_unchanged,
            failed: r.parts_lists_failed,
            takeovers: r.takeovers,
          },
          { project, state: 'succeeded', done: elevations, failed: 0, takeovers: 0 },
          `run ${r.run_id}: ${r.message} ${JSON.stringify(r.failures)}${cluster.lastWarnings()}`,
        );
      }
      const owners = new Set([...final.values()].map((r) => r.owner_instance));
      assert.deepEqual(
        [...owners].sort(),
        [1, 2, 3].map((i) => Cluster.instanceId(i)),
        'each instance ran one of the syncs',
      );
      const elevations = PROJECTS.reduce((n, [, e]) => n + e, 0);
      assert.equal(stats.callsByEndpoint[PARTS_LIST_CALL], elevations, 'each parts list downloaded once');
      assert.ok(sawWaiting, 'some sync.status showed the run waiting for a LogiKal licence');
      assert.match(waitingMessage, /Waiting for a LogiKal licence/);

      await cluster.stopAll();
      await assertClusterIdle(cluster);
      await cluster.close();
    },
  );
});
