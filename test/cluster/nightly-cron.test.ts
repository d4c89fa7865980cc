import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ScheduleView } from '../../server/scheduler';
import { assertClusterIdle, closeAll, Cluster, eventually, MULTI_INSTANCE_SKIP } from './cluster-rig';
import { assertOneNightlyPerFiring, describeNightlies, readNightlies, type NightlyRecord } from './nightly-checks';

const PERIOD_SECONDS = 4;
const CRON = `*/${PERIOD_SECONDS} * * * * *`;
/** Nightlies that must have succeeded before the instances are stopped: the first one (every parts list) and a smart one. */
const NIGHTLIES = 3;

/**
 * Instances firing SYNC_CRON every few seconds over "Demo Odoo": until NIGHTLIES nightlies succeeded,
 * then every instance stopped and the record read. The first nightly downloads every parts list and
 * outlasts several firings, which must be recorded skipped.
 */
async function cronRun(t: TestContext, instances: number): Promise<void> {
  const cluster = await Cluster.start({
    instances,
    emulator: { latencyScale: 0.05, maxSessions: 4 },
    env: { SYNC_CRON: CRON, SYNC_TZ: 'UTC', TRACKED_DIRECTORIES: 'Demo Odoo', LOGIKAL_MAX_SESSIONS: '4' },
  });
  let rec: NightlyRecord | undefined;
  const read = () => cluster.withDb(readNightlies);
  try {
    await eventually(`${NIGHTLIES} nightlies succeeded`, 240_000, async () => {
      rec = await read();
      return rec.nightlies.filter((n) => n.state === 'succeeded').length >= NIGHTLIES ? true : undefined;
    });
  } catch (err) {
    assert.fail(`${(err as Error).message}${rec ? describeNightlies(rec) : ''}${cluster.lastWarnings()}`);
  }

  for (const b of cluster.bridges) {
    const s = await b.rpc<ScheduleView>('sync.schedule', {});
    assert.equal(s.enabled, true);
    assert.equal(s.cron, CRON);
    assert.ok(s.next_fire_time && Date.parse(s.next_fire_time) % (PERIOD_SECONDS * 1000) === 0, `next firing ${s.next_fire_time}`);
    assert.ok(s.last_nightly?.kind === 'nightly', `${b.env.BRIDGE_INSTANCE_ID} reports the last nightly`);
  }

  await cluster.stopAll();
  rec = await read();
  for (const line of describeNightlies(rec).split('\n')) if (line.trim()) t.diagnostic(line.trim());
  assertOneNightlyPerFiring(rec, { periodMs: PERIOD_SECONDS * 1000, sources: ['cron', 'catch-up'] });
  assert.ok(
    rec.firings.some((f) => f.outcome === 'skipped'),
    `the first nightly outlasted a firing, recorded skipped${describeNightlies(rec)}`,
  );
  const stats = await assertClusterIdle(cluster);
  t.diagnostic(`emulator: logins ${stats.logins}, peak ${stats.peakSessions}, refused ${stats.refusedLogins}`);
  if (instances > 1) {
    const claimers = new Set(rec.firings.map((f) => f.instance));
    const workers = new Set([...rec.children.values()].flat().map((c) => c.ownerInstance));
    t.diagnostic(`firings claimed by ${[...claimers].join(', ')}; children run by ${[...workers].join(', ')}`);
  }
  await cluster.close();
}

describe(`SYNC_CRON="${CRON}"`, () => {
  after(closeAll);

  it('one instance: one nightly per firing, each project once per nightly, skipped while one runs', { timeout: 360_000 }, (t) =>
    cronRun(t, 1),
  );

  it(
    'two instances on one PostgreSQL: still one nightly per firing, each project once per nightly',
    { timeout: 360_000, skip: MULTI_INSTANCE_SKIP },
    (t) => cronRun(t, 2),
  );
});
