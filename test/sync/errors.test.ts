import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Directory, Elevation, Phase, Project, SyncRun } from '../../entities';
import { startEmulator } from '../../emulator';
import type { SyncResult } from '../../server/sync/types';
import { EMU_PASSWORD, EMU_USER, startRig, type Rig } from '../helpers/bridge-with-emulator';
import { startTestApp } from '../helpers/test-app';
import { DEMO, directSync, closeBalanced } from '../helpers/sync-checks';

async function mirrorCounts(rig: Rig): Promise<number[]> {
  const ds = rig.bridge.app.services.db.reader;
  return Promise.all([Directory, Project, Phase, Elevation].map((e) => ds.getRepository(e).count()));
}

describe('sync errors are clear, recorded, and leave the process serving', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => closeBalanced(rig));

  it('unknown project → MissingError naming it; a failed run recorded; nothing mirrored for it', async () => {
    const res = await rig.bridge.rpc('sync.force_project', { project_id: 'DOS99999', directory_id: DEMO, wait_seconds: 30 });
    assert.equal(res.result, undefined);
    assert.equal(res.error.data.name, 'odoo.exceptions.MissingError');
    assert.match(res.error.data.message, /DOS99999/);
    assert.match(res.error.data.message, /not found/i);
    assert.deepEqual(await mirrorCounts(rig), [0, 0, 0, 0], 'nothing written to the mirror');
    const runs = (await rig.bridge.rpc('sync.runs', {})).result as SyncResult[];
    assert.equal(runs[0].state, 'failed');
    assert.match(runs[0].message, /DOS99999/);
    // And by GUID.
    const byGuid = await rig.bridge.rpc('sync.project', {
      project_id: '11111111-2222-3333-4444-555555555555',
      directory_id: DEMO,
      wait_seconds: 30,
    });
    assert.equal(byGuid.error?.data.name, 'odoo.exceptions.MissingError');
  });

  it('unknown directory → a clear error naming the directory; nothing mirrored', async () => {
    const res = await rig.bridge.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: 'No Such Folder', wait_seconds: 30 });
    assert.equal(res.error?.data.name, 'odoo.exceptions.MissingError', JSON.stringify(res));
    assert.equal(res.error.data.message, 'Directory "No Such Folder" not found in Logikal');
    assert.deepEqual(await mirrorCounts(rig), [0, 0, 0, 0]);
    const projects = await rig.bridge.rpc('sync.projects', { directory_id: 'No Such Folder', wait_seconds: 30 });
    const ptext = projects.error ? projects.error.data.message : projects.result.message;
    if (!projects.error) assert.equal(projects.result.state, 'failed');
    assert.match(ptext, /No Such Folder/);
    assert.equal(await rig.bridge.app.services.db.reader.getRepository(Directory).count(), 0, 'sync.projects wrote no directory for it');
  });

  it('Logikal down (stopped) → a failed run with a clear reason; the bridge keeps serving', { timeout: 30_000 }, async () => {
    const emu = await startEmulator({ latencyScale: 0, username: EMU_USER, password: EMU_PASSWORD });
    const url = emu.url;
    await emu.stop();
    const app = await startTestApp({ LOGIKAL_URL: url, LOGIKAL_USERNAME: EMU_USER, LOGIKAL_PASSWORD: EMU_PASSWORD });
    try {
      const res = await app.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: DEMO, wait_seconds: 25 });
      assert.equal(res.error, undefined, JSON.stringify(res.error));
      assert.equal(res.result.state, 'failed');
      assert.equal(res.result.success, false);
      assert.match(res.result.message, /Logikal .*(connection failed|ECONNREFUSED)/);
      const dirs = await app.rpc('sync.directories', { wait_seconds: 25 });
      assert.equal(dirs.result.state, 'failed');
      assert.match(dirs.result.message, /connection failed/);
      const status = await app.rpc('sync.status', { run_id: res.result.run_id });
      assert.equal(status.result.state, 'failed', 'the process is alive and answers');
      assert.equal(await app.app.services.db.reader.getRepository(SyncRun).countBy({ state: 'running' }), 0, 'no run left running');
    } finally {
      await app.close();
    }
  });

  it('Logikal stops mid-run → the run ends failed or partial, never hung', { timeout: 30_000 }, async () => {
    const emu = await startEmulator({
      latencyScale: 0,
      username: EMU_USER,
      password: EMU_PASSWORD,
      faults: { hangSeconds: 60, script: [{ endpoint: 'GET /elevations/selected/parts-list', kind: 'timeout' }] },
    });
    const app = await startTestApp({ LOGIKAL_URL: emu.url, LOGIKAL_USERNAME: EMU_USER, LOGIKAL_PASSWORD: EMU_PASSWORD });
    try {
      // Fast backoff so the give-up happens in a second, not in the default ~10 s.
      const { sync } = directSync({ bridge: app, emulator: emu, close: async () => undefined });
      const started = await sync.syncProject('force', { projectId: 'DOS22309', directoryId: DEMO, waitSeconds: 0 });
      // The hung parts-list call proves the run is under way; then the server goes away.
      for (let i = 0; i < 200 && (emu.stats().callsByEndpoint['GET /elevations/selected/parts-list'] ?? 0) === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await emu.stop();
      const res = await app.rpc('sync.status', { run_id: started.run_id });
      assert.equal(res.error, undefined);
      await sync.drain();
      const done = (await app.rpc('sync.status', { run_id: started.run_id })).result as SyncResult;
      assert.ok(done.state === 'failed' || done.state === 'partial', `ended ${done.state}: ${done.message}`);
      assert.equal(done.success, false);
    } finally {
      await app.close();
      await emu.stop();
    }
  });

  it('Logikal on a wrong port → failed run; bridge without LOGIKAL_URL → UserError naming the variables', async () => {
    const wrong = await startTestApp({
      LOGIKAL_URL: 'http://127.0.0.1:9/api/v3',
      LOGIKAL_USERNAME: EMU_USER,
      LOGIKAL_PASSWORD: EMU_PASSWORD,
    });
    try {
      const res = await wrong.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: DEMO, wait_seconds: 25 });
      assert.equal(res.error, undefined, JSON.stringify(res.error));
      assert.equal(res.result.state, 'failed');
      assert.match(res.result.message, /connection failed/);
    } finally {
      await wrong.close();
    }
    const bare = await startTestApp({ LOGIKAL_URL: '', LOGIKAL_USERNAME: '', LOGIKAL_PASSWORD: '' });
    try {
      for (const [m, p] of [
        ['sync.force_project', { project_id: 'DOS22309', directory_id: DEMO }],
        ['sync.project', { project_id: 'DOS22309', directory_id: DEMO }],
        ['sync.directories', {}],
        ['sync.projects', { directory_id: DEMO }],
      ] as const) {
        const res = await bare.rpc(m, p);
        assert.equal(res.error?.data.name, 'odoo.exceptions.UserError', `${m}: ${JSON.stringify(res)}`);
        for (const v of ['LOGIKAL_URL', 'LOGIKAL_USERNAME', 'LOGIKAL_PASSWORD']) assert.match(res.error.data.message, new RegExp(v));
      }
      assert.equal(await bare.app.services.db.reader.getRepository(SyncRun).count(), 0, 'no run row for a bridge that cannot sync');
    } finally {
      await bare.close();
    }
  });
});
