import { configFor } from '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Elevation, LogikalCapability, Project } from '../../entities';
import { startApp, type App } from '../../server/bootstrap';
import type { SyncResult } from '../../server/sync/types';
import type { LogikalCapabilityReport } from '../../server/system.service';
import { startRig, EMU_PASSWORD, EMU_USER, type Rig } from '../helpers/bridge-with-emulator';
import { BOOTSTRAP_KEY } from '../helpers/test-app';
import { assertHonest, assertSessionsBalanced, closeBalanced, DEMO, forceSync, partsSnapshot, smartSync } from '../helpers/sync-checks';

// Whether LogiKal lets a session select a sibling elevation is learnt by trying it once, stored with
// the server's version, and then used: one session downloads a phase's parts lists one after
// another. Against a strict LogiKal nothing changes but that one refused select.

const SELECT = 'POST /elevations/select';
const ELEVATION_CAP = 'sibling_elevation_select';

/** The bridge restarted: the first app closed, a second one on the same database. */
async function restart(rig: Rig): Promise<App> {
  await rig.bridge.app.close();
  return startApp(
    configFor(rig.bridge.db, {
      LOGIKAL_URL: rig.emulator.url,
      LOGIKAL_USERNAME: EMU_USER,
      LOGIKAL_PASSWORD: EMU_PASSWORD,
      LOGIKAL_MAX_SESSIONS: '4',
      BRIDGE_BOOTSTRAP_KEY: BOOTSTRAP_KEY,
    }),
  );
}

async function force(app: App, extra: { concurrency?: number } = {}): Promise<SyncResult> {
  const r = await app.services.sync.syncProject('force', { projectId: 'DOS22309', directoryId: DEMO, waitSeconds: 60, ...extra });
  await app.services.sync.drain();
  return r;
}

async function learnt(app: App, capability = ELEVATION_CAP): Promise<LogikalCapabilityReport | undefined> {
  const health = await app.services.system.health();
  return health.logikal_capabilities?.find((c) => c.capability === capability);
}

/** Every elevation of DOS22309: its parts list parsed from its own file (the parser matches the elevation by name). */
async function everyPartsListOwn(app: App): Promise<void> {
  const ds = app.services.db.reader;
  const project = await ds.getRepository(Project).findOneByOrFail({ name: 'DOS22309' });
  const els = await ds.getRepository(Elevation).findBy({ projectId: project.id });
  assert.equal(els.length, 17);
  for (const e of els) assert.equal(e.parseStatus, 'success', `${e.name}: ${e.parseError}`);
}

function selects(rig: Rig): number {
  return rig.emulator.stats().callsByEndpoint[SELECT] ?? 0;
}

describe('a LogiKal that lets a session select a sibling elevation', () => {
  let rig: Rig;
  let app: App | undefined;
  before(async () => {
    rig = await startRig({ emulator: { allowSiblingSelect: true } });
  });
  after(async () => {
    await app?.close();
    await closeBalanced(rig);
  });

  it('is probed by the first force sync, which needs one login per session (not per elevation); system.health shows what was learnt', async () => {
    const r = await forceSync(rig, 'DOS22309');
    assertHonest(r);
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.parts_lists_synced, 17);
    const s = rig.emulator.stats();
    assert.ok(s.logins <= 4, `at most LOGIKAL_MAX_SESSIONS (4) logins for 17 elevations, got ${s.logins}`);
    // One select more than elevations: the probe is the first sideways select, so the first session
    // selects an elevation, then sideways the next one, whose file it fetches first (the other
    // sessions' sideways selects wait for that answer); it selects the first again afterwards.
    assert.equal(selects(rig), 18, 'every select accepted; only the probing session repeats one');
    await everyPartsListOwn(rig.bridge.app);
    const cap = await learnt(rig.bridge.app);
    assert.equal(cap?.allowed, true, JSON.stringify(cap));
    assert.match(cap.server_version, /MbioeService 12\.2\.6\.59/);
    assert.ok(Date.parse(cap.learnt_at) <= Date.now());

    // A smart sync with nothing changed lists both phases on one session (a sibling phase select).
    rig.emulator.resetStats();
    const smart = await smartSync(rig, 'DOS22309');
    assertHonest(smart);
    assert.equal(smart.parts_lists_unchanged, 17);
    assert.equal(rig.emulator.stats().logins, 1, 'one login for both phases');
    assert.equal((await learnt(rig.bridge.app, 'sibling_phase_select'))?.allowed, true);
  });

  it('is remembered across a restart: not probed again, learnt_at unchanged, the same results', async () => {
    const before = await learnt(rig.bridge.app);
    const rowsBefore = await rig.bridge.app.services.db.reader.getRepository(LogikalCapability).find({ order: { id: 'ASC' } });
    assertSessionsBalanced(rig.emulator);
    rig.emulator.resetStats();
    app = await restart(rig);
    const r = await force(app);
    assertHonest(r);
    assert.equal(r.state, 'succeeded', r.message);
    assert.ok(rig.emulator.stats().logins <= 4, `logins ${rig.emulator.stats().logins}`);
    assert.equal(selects(rig), 17);
    assert.deepEqual(await learnt(app), before, 'learnt once');
    const rowsAfter = await app.services.db.reader.getRepository(LogikalCapability).find({ order: { id: 'ASC' } });
    assert.deepEqual(rowsAfter, rowsBefore, 'nothing learnt again');
    await everyPartsListOwn(app);

    rig.emulator.resetStats();
    const smart = await app.services.sync.syncProject('smart', { projectId: 'DOS22309', directoryId: DEMO, waitSeconds: 60 });
    assert.equal(smart.parts_lists_unchanged, 17);
    assert.equal(rig.emulator.stats().logins, 1);
  });

  it('a 409 on a reuse mid-run: that elevation is fetched on a fresh session, every elevation syncs, and the capability is recorded as refused', async () => {
    assert.ok(app);
    await app.services.sync.drain();
    assertSessionsBalanced(rig.emulator);
    rig.emulator.resetStats();
    // Concurrency 1: one session selects phase 1's elevations one after another; the third select is the second sideways one.
    rig.emulator.setFaults({ script: [{ endpoint: SELECT, kind: 'serverError', status: 409, after: 2 }] });
    const r = await force(app, { concurrency: 1 });
    rig.emulator.setFaults({});
    assertHonest(r);
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.parts_lists_synced, 17, 'nothing lost');
    assert.equal(r.parts_lists_failed, 0, 'nothing counted twice or as failed');
    assert.equal(rig.emulator.stats().faultsByEndpoint[SELECT], 1, 'the 409 was met');
    assert.equal(rig.emulator.stats().callsByEndpoint['GET /elevations/selected/parts-list'], 17, 'each parts list downloaded once');
    await everyPartsListOwn(app);
    const cap = await learnt(app);
    assert.equal(cap?.allowed, false, JSON.stringify(cap));
    assert.match(cap.evidence, /409/);

    // Refused until LogiKal's version changes: the strict algorithm (one session per parts list).
    assertSessionsBalanced(rig.emulator);
    rig.emulator.resetStats();
    assertHonest(await force(app));
    assert.equal(rig.emulator.stats().logins, 19, '1 + 1 phase + 17 parts lists');
    assert.equal(selects(rig), 17);

    // A new version is a new server: probed again, and allowed again.
    rig.emulator.configure({ serverVersion: '12.3.0.1' });
    rig.emulator.resetStats();
    assertHonest(await force(app));
    assert.ok(rig.emulator.stats().logins <= 4, `logins ${rig.emulator.stats().logins}`);
    const again = await learnt(app);
    assert.equal(again?.allowed, true);
    assert.match(again.server_version, /12\.3\.0\.1/);
    rig.emulator.configure({ serverVersion: '12.2.6.59' });
  });
});

describe('a strict LogiKal (sibling selects refused with 409, as observed)', () => {
  let rig: Rig;
  let app: App | undefined;
  const snapshots = new Map<string, Record<string, unknown>>();
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await app?.close();
    await closeBalanced(rig);
  });

  it('costs one refused select on the first run; every elevation syncs and it is stored as refused', async () => {
    const r = await forceSync(rig, 'DOS22309');
    assertHonest(r);
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.parts_lists_synced, 17);
    assert.equal(selects(rig), 18, '17 selects and the one refused sideways select');
    assert.ok(rig.emulator.stats().logins <= 19, `no more logins than without the probe (${rig.emulator.stats().logins})`);
    const cap = await learnt(rig.bridge.app);
    assert.equal(cap?.allowed, false);
    assert.match(cap.evidence, /isn't valid in the current mapping/);
    const ds = rig.bridge.app.services.db.reader;
    for (const e of await ds.getRepository(Elevation).find()) snapshots.set(e.logikalId, await partsSnapshot(ds, e.id));
  });

  it('afterwards, across a restart, logs in and syncs exactly as before sibling selects were learnt: 19 logins, 17 selects, the same results', async () => {
    assertSessionsBalanced(rig.emulator);
    rig.emulator.resetStats();
    app = await restart(rig);
    const r = await force(app);
    assertHonest(r);
    assert.equal(r.state, 'succeeded', r.message);
    assert.equal(r.parts_lists_synced, 17);
    const s = rig.emulator.stats();
    assert.equal(s.logins, 19, '1 + 1 phase + 17 parts lists');
    assert.equal(selects(rig), 17, 'no sideways select tried');
    const ds = app.services.db.reader;
    const els = await ds.getRepository(Elevation).find();
    assert.equal(els.length, 17);
    for (const e of els) assert.deepEqual(await partsSnapshot(ds, e.id), snapshots.get(e.logikalId), e.name);
  });
});
