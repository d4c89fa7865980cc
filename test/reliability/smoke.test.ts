import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertInvariants, closeAll, PARTS_LIST_CALL, Rig } from './harness';

describe('reliability rig: a real bridge process against a real emulator process', () => {
  after(closeAll);

  it('force sync of DOS22309 succeeds and every LogiKal session is logged out', { timeout: 120_000 }, async () => {
    const rig = await Rig.start();
    const r = await rig.bridge.forceSync('DOS22309');
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.parts_lists_synced + r.parts_lists_unchanged, 17, r.message);
    const stats = await rig.emu.stats();
    assert.equal(stats.callsByEndpoint[PARTS_LIST_CALL], 17, 'one parts-list download per elevation');
    assert.ok((rig.bridge.peakRssKiB() ?? 0) > 0, 'peak RSS of the bridge child is readable');
    await assertInvariants(rig);
    await rig.close();
  });
});
