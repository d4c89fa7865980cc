import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertInvariants, closeAll, Rig } from './harness';

/**
 * LogiKal's licence refusal is undocumented: whatever status it uses, and whether or not its text
 * mentions licences, a refused login means "no seat now" — the run waits for one and completes.
 * The emulator allows fewer sessions than the bridge's concurrency, so refusals are certain.
 */
const REFUSALS = [
  { status: 403, message: 'Forbidden' },
  { status: 409, message: 'Conflict' },
  { status: 429, message: 'Too many requests' },
  { status: 409, message: '' }, // the emulator's default text, which names the licence limit
];

describe('licence refusals (403, 409, 429): the run waits for a seat and completes', () => {
  after(closeAll);

  for (const refusal of REFUSALS) {
    const text = refusal.message ? `"${refusal.message}"` : 'the licence-limit text';
    // A bridge of its own each: what one learnt about the seats must not spare the next its refusals.
    it(`refused with ${refusal.status} ${text}`, { timeout: 120_000 }, async () => {
      const rig = await Rig.start({ emulator: { maxSessions: 2 }, env: { LOGIKAL_MAX_SESSIONS: '4' } });
      const knobs = await rig.emu.configure({ licenceRefusalStatus: refusal.status, licenceRefusalMessage: refusal.message });
      assert.equal(knobs.licenceRefusalStatus, refusal.status, 'the emulator refuses with this status');
      const r = await rig.bridge.forceSync('DOS22309', 90);
      const stats = await rig.emu.stats();
      assert.ok(stats.refusedLogins > 0, 'the licence cap refused logins');
      assert.ok(stats.peakSessions <= 2, `never above the cap (peak ${stats.peakSessions})`);
      assert.deepEqual(
        { state: r.state, done: r.parts_lists_synced + r.parts_lists_unchanged, failed: r.parts_lists_failed },
        { state: 'succeeded', done: 17, failed: 0 },
        `${stats.refusedLogins} refusals; ${r.message} ${JSON.stringify(r.failures)}`,
      );
      await assertInvariants(rig);
      await rig.close();
    });
  }
});
