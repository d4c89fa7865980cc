import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVE_STATES, NightlyFiring, SyncRun } from '../../entities';
import type { Db } from '../../server/db/db';
import { closeAll, Cluster } from './cluster-rig';
import { describeNightlies, readNightlies } from './nightly-checks';

const PERIOD_MS = 2_000;
/** A reproduction costs a fresh database and processes each: at most this many. */
const ATTEMPTS = 5;

/** Polls until the firing of `fireAt` is claimed in nightly_firings (by any instance). */
async function waitForClaim(db: Db, fireAt: Date, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await db.reader.getRepository(NightlyFiring).countBy({ fireAt }))) {
    assert.ok(Date.now() < deadline, `the firing of ${fireAt.toISOString()} was not claimed within ${timeoutMs} ms`);
  }
}

describe('a graceful stop just as the cron fires', () => {
  after(closeAll);

  it('leaves no run queued or running and no firing claimed without an outcome', { timeout: 300_000 }, async (t) => {
    const found: string[] = [];
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const cluster = await Cluster.start({
        instances: 1,
        emulator: { latencyScale: 0.05, maxSessions: 4 },
        env: {
          SYNC_CRON: `*/${PERIOD_MS / 1000} * * * * *`,
          TRACKED_DIRECTORIES: 'Demo Odoo',
          SHUTDOWN_GRACE_SECONDS: '3',
          LOG_LEVEL: 'info',
        },
      });
      const bridge = cluster.bridges[0];
      const lines: string[] = [];
      bridge.child.onLine((line) => lines.push(line));
      // SIGTERM the moment the instance has claimed a firing: its nightly is being created right then.
      // The next scheduled second, unless it is too close to be watched from its start.
      const fireAt = new Date(Math.ceil((Date.now() + 50) / PERIOD_MS) * PERIOD_MS);
      const db = await cluster.openDb();
      try {
        await waitForClaim(db, fireAt, PERIOD_MS * 3);
      } finally {
        await db.close();
      }
      const exit = await bridge.child.signal('SIGTERM', 30_000);
      assert.equal(exit.code, 0, `the instance stopped by itself (${exit.code ?? exit.signal}, ${exit.ms} ms)`);

      const left = await cluster.withDb(async (db) => {
        const runs = await db.reader.getRepository(SyncRun).find({ order: { id: 'ASC' } });
        const rec = await readNightlies(db);
        const active = runs.filter((r) => ACTIVE_STATES.includes(r.state)).map((r) => `run ${r.id} ${r.kind} ${r.state}`);
        const unrecorded = rec.firings.filter((f) => f.outcome === 'claimed').map((f) => `firing ${f.fireAt.toISOString()} claimed`);
        return { what: [...active, ...unrecorded], rec };
      });
      t.diagnostic(`SIGTERM on the claim of ${fireAt.toISOString()}: stopped in ${exit.ms} ms, left ${left.what.join(', ') || 'nothing'}`);
      if (left.what.length) {
        const log = lines.filter((l) => /\[(app|cron|sync)\]/.test(l)).slice(-12);
        found.push(
          `SIGTERM on the claim of ${fireAt.toISOString()}: ${left.what.join(', ')}${describeNightlies(left.rec)}\n  log:\n    ${log.join('\n    ')}`,
        );
      }
      await cluster.close();
      // One reproduction is enough: each attempt costs a fresh database and processes.
      if (found.length) break;
    }
    assert.deepEqual(found, [], 'a firing in flight at SIGTERM creates rows after the shutdown marked its runs interrupted');
  });
});
