import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertInvariants, closeAll, mirrorSnapshot, Rig, type MirrorSnapshot } from './harness';
import { SYNC_ENDPOINTS } from '../helpers/logikal-endpoints';

/**
 * Every endpoint a force sync calls except DELETE /auth: a logout refused on every retry leaks a
 * seat by design (the session is LogiKal's to expire), which would make "no session open" a matter
 * of luck at these rates. Logout retries have their own deterministic tests (test/sync/upstream-faults).
 */

describe('transient LogiKal faults are absorbed: a force sync still ends with 17 of 17 parts lists', () => {
  let rig: Rig;
  let stored: MirrorSnapshot;

  before(async () => {
    rig = await Rig.start();
    const first = await rig.bridge.forceSync('DOS22309');
    assert.equal(first.state, 'succeeded', first.message);
    stored = await rig.withDb(mirrorSnapshot);
  });
  after(closeAll);

  for (const rate of [0.05, 0.15]) {
    it(`${rate * 100} % of calls answered 503`, { timeout: 120_000 }, async () => {
      await rig.emu.resetStats();
      await rig.emu.setFaults({ seed: 20 + rate * 100, serverErrorRate: rate, serverErrorStatus: 503, endpoints: SYNC_ENDPOINTS });
      const r = await rig.bridge.forceSync('DOS22309', 90);
      const stats = await rig.emu.stats();
      await rig.emu.setFaults({});
      assert.ok(stats.faultsInjected.serverError > 0, 'faults were injected');
      assert.deepEqual(
        { state: r.state, done: r.parts_lists_synced + r.parts_lists_unchanged, failed: r.parts_lists_failed, total: r.elevations_total },
        { state: 'succeeded', done: 17, failed: 0, total: 17 },
        `${stats.faultsInjected.serverError} faults injected; ${r.message} ${JSON.stringify(r.failures)}`,
      );
      await assertInvariants(rig, stored);
    });
  }
});
