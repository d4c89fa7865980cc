import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Elevation, Project } from '../../entities';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { closeBalanced } from '../helpers/sync-checks';

/** What an Odoo list view shows while a sync stores parts lists: each parsed elevation with its glass. */
async function pollOnce(
  rig: Rig,
  uid: number,
  key: string,
): Promise<Array<{ name: string; parse_status: string; glass_ids: number[]; parts_count: number | false }>> {
  const res = await rig.bridge.rpc('object.execute_kw', [
    'logikal',
    uid,
    key,
    'logikal.elevation',
    'search_read',
    [[]],
    { fields: ['name', 'parse_status', 'parts_count', 'glass_ids'] },
  ]);
  assert.equal(res.error, undefined, JSON.stringify(res.error));
  return res.result;
}

describe('reads during a sync', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ emulator: { latencyScale: 0.01 } });
  });
  after(async () => {
    await closeBalanced(rig);
  });

  it('a reader polling during force syncs never sees a parsed elevation with its glass rows missing', async () => {
    const key = 'test-bootstrap-key-0123456789abcdef';
    const uid = (await rig.bridge.rpc('common.login', ['logikal', 'odoo', key])).result as number;
    assert.ok(uid > 0);
    let polls = 0;
    let seenParsed = 0;
    let syncing = true;
    const poller = (async () => {
      while (syncing) {
        for (const e of await pollOnce(rig, uid, key)) {
          if (e.parse_status !== 'success') continue;
          seenParsed++;
          assert.ok(e.glass_ids.length >= 1, `${e.name}: parsed but ${e.glass_ids.length} glass rows`);
          assert.ok(typeof e.parts_count === 'number' && e.parts_count > 0, `${e.name}: parts count`);
        }
        polls++;
      }
    })();
    try {
      const first = await rig.bridge.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: 'Demo Odoo', wait_seconds: 100 });
      assert.equal(first.result?.state, 'succeeded', JSON.stringify(first.result ?? first.error));
      // New files for every elevation: the second sync replaces every parse and every glass row.
      const reader = rig.bridge.app.services.db.reader;
      const project = await reader.getRepository(Project).findOneByOrFail({ name: 'DOS22309' });
      for (const e of await reader.getRepository(Elevation).findBy({ projectId: project.id })) rig.emulator.touchElevation(e.logikalId);
      const second = await rig.bridge.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: 'Demo Odoo', wait_seconds: 100 });
      assert.equal(second.result?.state, 'succeeded', JSON.stringify(second.result ?? second.error));
      assert.equal(second.result.parts_lists_synced, 17);
    } finally {
      syncing = false;
      await poller;
    }
    assert.ok(polls >= 5, `the reader polled ${polls} times during the syncs`);
    assert.ok(seenParsed > 0, 'the reader saw parsed elevations');
  });
});
