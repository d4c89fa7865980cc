import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncResult } from '../../server/sync/types';
import {
  activeCount,
  assertClusterIdle,
  assertNothingLost,
  closeAll,
  Cluster,
  eventually,
  mirrorSnapshot,
  MULTI_INSTANCE_SKIP,
  type MirrorSnapshot,
} from './cluster-rig';

const LICENCES = 4;
const ELEVATIONS = 17; // DOS22309
/** The dead instance's LogiKal sessions vanish this long after its kill: LogiKal's own idle expiry, shortened. */
const IDLE_EXPIRY_SECONDS = 3;
/** Parts lists the first owner has stored when it is killed. */
const STORED_AT_KILL = 3;

/** Elevations whose parts list is stored: what a run finished. */
const withPartsList = (snap: MirrorSnapshot) => [...snap].filter(([k, v]) => k.startsWith('elevation ') && v.partsListSha256).length;

describe('kill -9 of the instance running a force sync: another instance finishes the same run', () => {
  after(closeAll);

  it(
    'the run id succeeds with every elevation under a new owner, read the same on every instance',
    { skip: MULTI_INSTANCE_SKIP, timeout: 300_000 },
    async (t) => {
      const cluster = await Cluster.start({
        instances: 3,
        emulator: { latencyScale: 0.1, maxSessions: LICENCES },
        env: { LOGIKAL_MAX_SESSIONS: String(LICENCES) },
      });
      const started = await cluster.bridges[0].forceSync('DOS22309', 0);
      const running = await eventually('the run claimed by an instance', 30_000, async () => {
        const r = await cluster.bridges[0].rpc<SyncResult>('sync.status', { run_id: started.run_id });
        return r.state === 'running' && r.owner_instance ? r : undefined;
      });
      // Killed once a few parts lists are stored: the survivor must count them as done, not fetch them again.
      const db = await cluster.openDb();
      try {
        await eventually(`${STORED_AT_KILL} parts lists stored`, 60_000, async () =>
          withPartsList(await mirrorSnapshot(db)) >= STORED_AT_KILL ? true : undefined,
        );
      } finally {
        await db.close();
      }
      const victim = cluster.bridgeOf(running.owner_instance);
      await victim.child.kill9();
      const killedAt = Date.now();
      const downloadsAtKill = (await cluster.emu.stats()).partsListDownloads;
      await cluster.emu.configure({ idleExpirySeconds: IDLE_EXPIRY_SECONDS });

      const stored = await cluster.withDb(mirrorSnapshot);
      const finishedBefore = withPartsList(stored);
      assert.ok(finishedBefore < ELEVATIONS, `the kill came mid-sync (${finishedBefore} of ${ELEVATIONS} parts lists stored)`);

      // Every state a survivor reports until the run ends, in order, with when it was first seen.
      const survivors = cluster.alive();
      // A caller that asks for the same sync on a survivor while the dead owner's lease still runs joins
      // the run and waits for its end (what Odoo does with wait_seconds).
      const joined = survivors[1].forceSync('DOS22309', 110);
      const seen: string[] = [];
      let lastLabel = '';
      const final = await eventually('the run finished by a survivor', 180_000, async () => {
        const r = await survivors[0].rpc<SyncResult>('sync.status', { run_id: started.run_id });
        const label = `${r.state}${r.takeovers ? ` (takeover ${r.takeovers}, ${r.owner_instance})` : ''}`;
        if (label !== lastLabel) seen.push(`${label} at +${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
        lastLabel = label;
        return r.finished_at && r.state !== 'running' && r.state !== 'queued' ? r : undefined;
      });
      const tookSeconds = (Date.now() - killedAt) / 1000;
      const stats = await cluster.emu.stats();
      t.diagnostic(
        `killed ${victim.env.BRIDGE_INSTANCE_ID} after ${finishedBefore} stored parts lists; finished by ${final.owner_instance} ` +
          `${tookSeconds.toFixed(1)} s after the kill; states seen: ${seen.join(' → ')}; emulator: parts lists ` +
          `${stats.partsListDownloads}, logins ${stats.logins}, expired ${stats.expiredSessions}, refused ${stats.refusedLogins}, peak ${stats.peakSessions}`,
      );

      assert.deepEqual(
        {
          run: final.run_id,
          state: final.state,
          done: final.parts_lists_synced + final.parts_lists_unchanged,
          failed: final.parts_lists_failed,
        },
        { run: started.run_id, state: 'succeeded', done: ELEVATIONS, failed: 0 },
        `${final.message} ${JSON.stringify(final.failures)}${cluster.lastWarnings()}`,
      );
      assert.ok(final.takeovers >= 1, `the run was taken over (takeovers ${final.takeovers})`);
      assert.notEqual(final.owner_instance, victim.env.BRIDGE_INSTANCE_ID, 'a survivor owns the run now');
      assert.ok(
        survivors.some((b) => b.env.BRIDGE_INSTANCE_ID === final.owner_instance),
        `the new owner ${final.owner_instance} is a live instance`,
      );
      for (const b of survivors) {
        assert.deepEqual(
          await b.rpc<SyncResult>('sync.status', { run_id: started.run_id }),
          final,
          `${b.env.BRIDGE_INSTANCE_ID} reads the same run`,
        );
      }
      // Only the downloads in flight when the instance died (one per licence at most) are made twice;
      // the survivor fetches none of what the dead owner stored.
      assert.ok(
        stats.partsListDownloads <= ELEVATIONS + LICENCES,
        `${stats.partsListDownloads} parts-list downloads for ${ELEVATIONS} elevations (at most ${LICENCES} redone)`,
      );
      assert.ok(
        stats.partsListDownloads - downloadsAtKill <= ELEVATIONS - finishedBefore,
        `after the kill: ${stats.partsListDownloads - downloadsAtKill} downloads, ${ELEVATIONS - finishedBefore} elevations unfinished`,
      );
      assert.ok(stats.peakSessions <= LICENCES, `never above the cap (peak ${stats.peakSessions})`);
      assert.equal(stats.refusedLogins, 0, "the dead instance's seats were not handed out while its sessions still held LogiKal licences");
      const after = await cluster.withDb(mirrorSnapshot);
      assertNothingLost(stored, after);
      assert.equal(withPartsList(after), ELEVATIONS, 'every parts list stored');
      assert.equal(activeCount(after, 'elevation'), ELEVATIONS);

      await cluster.stopAll();
      // The killed instance's sessions were never logged out: the emulator expired them.
      const end = await assertClusterIdle(cluster, { expiredAllowed: true });
      assert.ok(end.expiredSessions <= LICENCES, `only the killed instance's sessions expired (${end.expiredSessions})`);
      await cluster.close();
      // A caller (Odoo) stops polling at a terminal state, and a waiting caller takes its answer as the
      // end: a run another instance will take over must not read as ended in between.
      const answer = await joined;
      t.diagnostic(`the joined caller was answered: run ${answer.run_id} ${answer.state} (${answer.message})`);
      assert.equal(answer.run_id, started.run_id, 'the caller joined the running run');
      const firstTerminal = seen.findIndex((s) => !s.startsWith('running') && !s.startsWith('queued'));
      assert.ok(
        firstTerminal === seen.length - 1 && answer.state === 'succeeded',
        `a run about to be taken over reads as ended once its owner's lease runs out: sync.status on a survivor showed ` +
          `${seen.join(' → ')}; a caller that joined it with wait_seconds 110 was answered "${answer.state}" (${answer.message}), ` +
          `though the same run then succeeded`,
      );
    },
  );
});
