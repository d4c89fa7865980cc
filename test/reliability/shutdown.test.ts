import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncResult } from '../../server/sync/types';
import { assertInvariants, assertSessionsClosed, closeAll, DEMO, eventually, mirrorSnapshot, Rig, runsOf, type RpcReply } from './harness';

/** Small, so the test shows the bound holds; the default (20 s) is the same code path. */
const GRACE_SECONDS = 5;

/** Elevations whose parts list is stored: what a run finished. */
const withPartsList = (snap: Awaited<ReturnType<typeof mirrorSnapshot>>) =>
  [...snap].filter(([k, v]) => k.startsWith('elevation ') && v.partsListSha256).length;

/** A force sync at the seed's real latency (about half a minute for DOS22309), waited on over HTTP, surely mid-way. */
async function midSync(rig: Rig): Promise<{ runId: number; inFlight: Promise<RpcReply<SyncResult> | Error> }> {
  const started = await rig.bridge.forceSync('DOS22309', 0);
  // An Odoo client waiting on the same run: its request is in flight when the signal comes.
  const inFlight = rig.bridge
    .call<SyncResult>('sync.force_project', { project_id: 'DOS22309', directory_id: DEMO, wait_seconds: 120 }, { timeoutMs: 150_000 })
    .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  await rig.emu.waitForPartsListCalls(1, 60_000);
  return { runId: started.run_id, inFlight };
}

describe('SIGTERM mid force sync at real LogiKal latency', () => {
  after(closeAll);

  it(
    `exits 0 within SHUTDOWN_GRACE_SECONDS + 5 s, every session logged out, the run interrupted, then resumed`,
    { timeout: 180_000 },
    async () => {
      const rig = await Rig.start({ emulator: { latencyScale: 1 }, env: { SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS) } });
      const { runId, inFlight } = await midSync(rig);

      const exit = rig.bridge.child.signal('SIGTERM', 60_000);
      const health = await eventually('/health answering something other than 200', 5_000, async () => {
        const status = await rig.bridge.health();
        return status === 200 ? undefined : status;
      });
      assert.equal(health, 503, '/health answers 503 while the bridge shuts down');
      const { code, signal, ms, killed } = await exit;
      assert.deepEqual({ code, signal, killed }, { code: 0, signal: null, killed: false }, rig.bridge.child.output());
      assert.ok(ms <= (GRACE_SECONDS + 5) * 1000, `exited after ${ms} ms, grace ${GRACE_SECONDS} s + 5 s`);

      const reply = await inFlight;
      assert.ok(!(reply instanceof Error), `the request in flight got an answer, not ${reply instanceof Error ? reply.message : '?'}`);

      await assertSessionsClosed(rig.emu, 5_000);
      const runs = await rig.withDb(runsOf);
      assert.deepEqual(
        runs.map((r) => [r.id, r.state]),
        [[runId, 'interrupted']],
        'the run stopped by the shutdown is interrupted',
      );

      // The next start resumes it: only what the interrupted run did not finish is fetched.
      const stored = await rig.withDb(mirrorSnapshot);
      const finished = withPartsList(stored);
      await rig.emu.resetStats();
      await rig.emu.configure({ latencyScale: 0.01 });
      const bridge = await rig.restartBridge();
      const r = await bridge.forceSync('DOS22309', 90);
      assert.equal(r.state, 'succeeded', `${r.message} ${JSON.stringify(r.failures)}`);
      for (const run of await rig.withDb(runsOf)) if (run.state === 'queued' || run.state === 'running') await bridge.waitRun(run.id);
      assert.equal(withPartsList(await rig.withDb(mirrorSnapshot)), 17, 'every parts list stored');
      assert.equal(await rig.emu.partsListCalls(), 17 - finished, `only the ${17 - finished} unfinished parts lists are fetched`);
      await assertInvariants(rig, stored);
    },
  );

  it('a second signal exits at once, long before the grace', { timeout: 180_000 }, async () => {
    const rig = await Rig.start({ emulator: { latencyScale: 1 }, env: { SHUTDOWN_GRACE_SECONDS: '60' } });
    const { inFlight } = await midSync(rig);
    const exit = rig.bridge.child.signal('SIGTERM', 90_000);
    await eventually('/health answering 503', 5_000, async () => ((await rig.bridge.health()) === 503 ? true : undefined));
    rig.bridge.child.proc.kill('SIGINT');
    const { ms, killed } = await exit;
    assert.equal(killed, false, 'exited by itself');
    assert.ok(ms < 30_000, `exited ${ms} ms after the first signal, not after the 60 s grace`);
    await inFlight;

    // Exiting at once is the operator's choice to leave the run and its LogiKal sessions behind
    // (LogiKal expires the sessions); the next start must still leave no run running.
    const dead = await rig.withDb(runsOf);
    assert.equal(dead.length, 1);
    await rig.emu.dropSessions();
    await rig.emu.resetStats();
    await rig.emu.configure({ latencyScale: 0.01 });
    const bridge = await rig.restartBridge();
    const run = await bridge.rpc<SyncResult>('sync.status', { run_id: dead[0].id });
    assert.ok(
      ['interrupted', 'succeeded'].includes(run.state),
      `the abandoned run is interrupted (or resumed to its end), not ${run.state}`,
    );
    for (const r of await rig.withDb(runsOf)) if (r.state === 'queued' || r.state === 'running') await bridge.waitRun(r.id, 120_000);
    await assertInvariants(rig);
  });
});
