import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { closeBalanced, DEMO, waitTerminal } from '../helpers/sync-checks';

// Two runs each hold sessions logged in ahead of need; when their first unit fails and is replayed,
// the replay must use the run's own spare session, not queue in a pool those spares fill.
describe('concurrent runs whose first unit is replayed', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ env: { LOGIKAL_MAX_SESSIONS: '2' } });
  });
  after(() => closeBalanced(rig));

  it('both finish, with every session logged out', async () => {
    rig.emulator.setFaults({
      script: [
        { endpoint: 'POST /projects/select', kind: 'serverError', status: 503 },
        { endpoint: 'POST /projects/select', kind: 'serverError', status: 503 },
      ],
    });
    const starts = await Promise.all(
      ['DOS22309', 'DOS22410'].map((p) => rig.bridge.rpc('sync.force_project', { project_id: p, directory_id: DEMO, wait_seconds: 0 })),
    );
    const runs = await Promise.all(starts.map((s) => waitTerminal(rig, s.result.run_id, 30_000)));
    for (const r of runs) assert.equal(r.state, 'succeeded', r.message);
    assert.equal(rig.emulator.stats().faultsByEndpoint['POST /projects/select'], 2, 'both first units were replayed');
    rig.emulator.setFaults({});
  });
});
