import { configFor } from '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { Project, SyncRun } from '../../entities';
import { startApp } from '../../server/bootstrap';
import type { SyncResult } from '../../server/sync/types';
import { startRig, EMU_PASSWORD, EMU_USER, type Rig } from '../helpers/bridge-with-emulator';
import { BOOTSTRAP_KEY } from '../helpers/test-app';
import { assertSessionsBalanced, checkpoint, closeBalanced, DEMO, forceSync, partsListCalls, waitTerminal } from '../helpers/sync-checks';

async function startForce(rig: Rig, projectId: string): Promise<SyncResult> {
  const res = await rig.bridge.rpc('sync.force_project', { project_id: projectId, directory_id: DEMO, wait_seconds: 0 });
  assert.equal(res.error, undefined, JSON.stringify(res.error));
  return res.result as SyncResult;
}

/** A run row as a killed process leaves it: queued or running, its lease run out (or, from another boot of us, still valid). */
async function orphanRun(
  rig: Rig,
  key: string,
  lease: { expired: boolean; boot?: string },
  kind: SyncRun['kind'] = 'force_project',
): Promise<number> {
  const now = Date.now();
  return rig.bridge.app.services.db.write(async (m) => {
    const repo = m.getRepository(SyncRun);
    const run = await repo.save(
      repo.create({
        kind,
        target: `${DEMO}/DOS22410`,
        targetKey: key,
        directoryPath: DEMO,
        projectRef: 'DOS22410',
        state: 'running',
        requestedBy: 'test',
        startedAt: new Date(now - 60_000),
        heartbeatAt: new Date(now - 40_000),
        ownerInstance: hostname().slice(0, 64),
        ownerBoot: lease.boot ?? '00000000-dead-4000-8000-000000000000',
        leaseExpiresAt: new Date(lease.expired ? now - 10_000 : now + 60_000),
        failures: [],
        message: null,
      }),
    );
    return run.id;
  });
}

describe('sync runs: leases, queueing, shutdown and resume', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ env: { MAX_ACTIVE_RUNS: '1' } });
  });
  after(() => closeBalanced(rig));

  it('an unknown project costs one login', async () => {
    await checkpoint(rig);
    const res = await rig.bridge.rpc('sync.force_project', { project_id: 'NO-SUCH-PROJECT', directory_id: DEMO, wait_seconds: 20 });
    assert.equal(res.error?.data.name, 'odoo.exceptions.MissingError', JSON.stringify(res));
    await rig.bridge.app.services.sync.drain();
    assert.equal(rig.emulator.stats().logins, 1);
  });

  it('with MAX_ACTIVE_RUNS=1 a second run waits as queued, visible in sync.runs, and runs after the first', async () => {
    await checkpoint(rig);
    const a = await startForce(rig, 'DOS22309');
    const b = await startForce(rig, 'DOS22410');
    assert.equal(a.state, 'running');
    assert.equal(b.state, 'queued');
    const listed = (await rig.bridge.rpc('sync.runs', { limit: 5 })).result as SyncResult[];
    assert.equal(listed.find((r) => r.run_id === b.run_id)?.state, 'queued');
    const [ra, rb] = await Promise.all([waitTerminal(rig, a.run_id, 60_000), waitTerminal(rig, b.run_id, 60_000)]);
    assert.equal(ra.state, 'succeeded', ra.message);
    assert.equal(rb.state, 'succeeded', rb.message);
    assert.ok(Date.parse(rb.started_at) >= Date.parse(ra.finished_at!), 'the queued run started when the first ended');
  });

  it('a run whose lease ran out reads as interrupted and a new call never joins it', async () => {
    await checkpoint(rig);
    const stored = await forceSync(rig, 'DOS22410');
    assert.equal(stored.state, 'succeeded');
    const project = await rig.bridge.app.services.db.reader.getRepository(Project).findOneByOrFail({ name: 'DOS22410' });
    const dead = await orphanRun(rig, `project:${project.logikalId}`, { expired: true });
    const status = (await rig.bridge.rpc('sync.status', { run_id: dead })).result as SyncResult;
    assert.equal(status.state, 'interrupted');
    const fresh = await forceSync(rig, 'DOS22410');
    assert.notEqual(fresh.run_id, dead, 'a new run, not the dead one');
    assert.equal(fresh.state, 'succeeded', fresh.message);
    const row = await rig.bridge.app.services.db.reader.getRepository(SyncRun).findOneByOrFail({ id: dead });
    assert.equal(row.state, 'interrupted', 'the dead run is marked interrupted in the table too');
  });

  it('SIGTERM-style shutdown mid-sync: /health 503 at once, the run ends interrupted, no session left open; the restart resumes only the rest', async () => {
    await checkpoint(rig);
    const earlierBoot = await orphanRun(
      rig,
      'directories',
      { expired: false, boot: '11111111-1111-4111-8111-111111111111' },
      'directories',
    );
    rig.emulator.configure({ latencyScale: 0.05 });
    const run = await startForce(rig, 'DOS22309');
    while (partsListCalls(rig.emulator) < 4) await new Promise((r) => setTimeout(r, 20));
    const shutting = rig.bridge.app.shutdown(1);
    const health = await fetch(`${rig.bridge.url}/health`);
    assert.equal(health.status, 503);
    assert.equal(((await health.json()) as { shutting_down: boolean }).shutting_down, true);
    await shutting;
    rig.emulator.configure({ latencyScale: 0 });
    assertSessionsBalanced(rig.emulator);
    rig.emulator.resetStats();

    // The same database, a new process (in-process here; test/reliability does it with kill -9 and signals).
    const app = await startApp(
      configFor(rig.bridge.db, {
        LOGIKAL_URL: rig.emulator.url,
        LOGIKAL_USERNAME: EMU_USER,
        LOGIKAL_PASSWORD: EMU_PASSWORD,
        BRIDGE_BOOTSTRAP_KEY: BOOTSTRAP_KEY,
      }),
    );
    try {
      const reader = app.services.db.reader.getRepository(SyncRun);
      const interrupted = await reader.findOneByOrFail({ id: run.run_id });
      assert.equal(interrupted.state, 'interrupted', interrupted.message ?? '');
      const done = interrupted.partsListsSynced;
      assert.ok(done > 0 && done < 17, `the interrupted run finished ${done} of 17`);
      assert.equal(
        (await reader.findOneByOrFail({ id: earlierBoot })).state,
        'interrupted',
        'an earlier boot of this instance: dead at once',
      );

      // The restarted bridge resumes the runs it was interrupted in, by itself.
      let resumed: SyncRun | null = null;
      for (let i = 0; i < 400; i++) {
        resumed = await reader.findOne({ where: { resumedFromId: run.run_id } });
        if (resumed && resumed.state !== 'queued' && resumed.state !== 'running') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(resumed, 'a resuming run was started');
      assert.equal(resumed.state, 'succeeded', resumed.message ?? '');
      assert.equal(resumed.partsListsSynced + resumed.partsListsUnchanged, 17);
      assert.equal(partsListCalls(rig.emulator), 17 - done, 'only what the interrupted run had not finished is downloaded');
      assert.equal(resumed.partsListsUnchanged, done);
    } finally {
      await app.services.sync.drain();
      await app.close();
    }
    assertSessionsBalanced(rig.emulator);
  });
});
