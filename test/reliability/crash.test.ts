import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncResult } from '../../server/sync/types';
import { activeCount, assertInvariants, closeAll, mirrorSnapshot, Rig, runsOf, TERMINAL_STATES } from './harness';

/** Slow enough that a force sync of DOS22309 is surely mid-way after a few parts lists (about 3 s in all). */
const CRASH_LATENCY = 0.3;

/** Elevations whose parts list is stored: what a run finished. */
const withPartsList = (snap: Awaited<ReturnType<typeof mirrorSnapshot>>) =>
  [...snap].filter(([k, v]) => k.startsWith('elevation ') && v.partsListSha256).length;

describe('kill -9 mid force sync, then restart on the same database', () => {
  after(closeAll);

  it(
    'the dead run ends interrupted, a new force sync does not join it, the resume fetches only the rest',
    { timeout: 180_000 },
    async () => {
      const rig = await Rig.start({ emulator: { latencyScale: CRASH_LATENCY } });
      const started = await rig.bridge.forceSync('DOS22309', 0);
      assert.ok(['queued', 'running'].includes(started.state), `${started.state}: ${started.message}`);
      await rig.emu.waitForPartsListCalls(5);
      await rig.bridge.child.kill9();

      const stored = await rig.withDb(mirrorSnapshot);
      const finished = withPartsList(stored);
      assert.ok(finished < 17, `the kill came mid-sync (${finished} of 17 parts lists stored)`);
      const dead = await rig.withDb(runsOf);
      assert.deepEqual(
        dead.map((r) => [r.id, r.state]),
        [[started.run_id, 'running']],
        'the killed run is left running in the database: what the restart must clean up',
      );

      // The dead process's sessions stay open at LogiKal until it expires them: that is LogiKal's
      // business, not the restarted bridge's. The balance below counts the restarted bridge alone.
      await rig.emu.dropSessions();
      await rig.emu.resetStats();
      await rig.emu.configure({ latencyScale: 0.01 });
      const bridge = await rig.restartBridge();

      const deadRun = await bridge.rpc<SyncResult>('sync.status', { run_id: started.run_id });
      assert.equal(deadRun.state, 'interrupted', `the killed run reads as interrupted at once: ${deadRun.message}`);
      const r = await bridge.forceSync('DOS22309', 90);
      assert.notEqual(r.run_id, started.run_id, 'a new force sync does not join the dead run');
      assert.equal(r.state, 'succeeded', `${r.message} ${JSON.stringify(r.failures)}`);

      // The restarted bridge may have resumed the run itself; either way, every run ends.
      const runs = await rig.withDb(runsOf);
      for (const run of runs) if (!TERMINAL_STATES.includes(run.state)) await bridge.waitRun(run.id);
      assert.equal(
        (await rig.withDb(runsOf)).find((x) => x.id === started.run_id)?.state,
        'interrupted',
        'the killed run stays interrupted',
      );

      const after = await rig.withDb(mirrorSnapshot);
      assert.equal(withPartsList(after), 17, 'every parts list stored');
      assert.equal(activeCount(after, 'elevation'), 17);
      assert.equal(await rig.emu.partsListCalls(), 17 - finished, `only the ${17 - finished} unfinished parts lists are fetched again`);
      await assertInvariants(rig, stored);
    },
  );
});
