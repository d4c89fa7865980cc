import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';

describe('nightly smart sync', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig.close();
  });

  it('smart-syncs every mirrored project once per night, however often the cron fires', async () => {
    const sync = rig.bridge.app.services.sync;
    const listed = await rig.bridge.rpc('sync.projects', { directory_id: 'Demo Odoo', wait_seconds: 30 });
    assert.equal(listed.result.state, 'succeeded', listed.result.message);

    const night = new Date('2026-11-30T02:00:00Z');
    const [first, second] = await Promise.all([sync.nightly(night), sync.nightly(night)]);
    const ran = [first, second].filter((r) => r !== null);
    assert.equal(ran.length, 1, 'exactly one of two simultaneous fires runs');
    assert.equal(ran[0].state, 'succeeded', ran[0].message);
    assert.match(ran[0].message, /^3 of 3 projects synced/);
    assert.equal(await sync.nightly(night), null, 'a later fire the same night does nothing');

    const runs = (await rig.bridge.rpc('sync.runs', { limit: 10 })).result as Array<{ kind: string; state: string }>;
    assert.equal(runs.filter((r) => r.kind === 'project' && r.state === 'succeeded').length, 3);
    const stats = rig.emulator.stats();
    assert.equal(stats.logins, stats.logouts);
  });
});
