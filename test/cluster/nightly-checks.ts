// What the nightly tests read and check straight from the shared database: the firings every
// instance claimed (nightly_firings), the nightly runs and their children (sync_runs).
import assert from 'node:assert/strict';
import { NightlyFiring, SyncRun } from '../../entities';
import type { Db } from '../../server/db/db';

/** The projects of "Demo Odoo" (TRACKED_DIRECTORIES in these tests) by GUID: what every nightly syncs. */
export const DEMO_PROJECTS = new Map([
  ['5ddb1393-56eb-4280-9f7e-3c3aec51483c', 'DOS22309'],
  ['15782e4d-a69c-4ce5-9c17-d3060a039b2d', 'DOS22410'],
  ['f584ee63-90d9-4903-9e5f-96f8fc2837fe', 'DOS22269'],
]);

export interface NightlyRecord {
  firings: NightlyFiring[];
  nightlies: SyncRun[];
  /** Children by the id of their nightly. */
  children: Map<number, SyncRun[]>;
}

export async function readNightlies(db: Db): Promise<NightlyRecord> {
  const firings = await db.reader.getRepository(NightlyFiring).find({ order: { fireAt: 'ASC' } });
  const runs = await db.reader.getRepository(SyncRun).find({ order: { id: 'ASC' } });
  const nightlies = runs.filter((r) => r.kind === 'nightly');
  const children = new Map<number, SyncRun[]>(nightlies.map((n) => [n.id, runs.filter((r) => r.parentRunId === n.id)]));
  return { firings, nightlies, children };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** One line per firing and nightly, for failure messages and the test's diagnostics. */
export function describeNightlies(rec: NightlyRecord): string {
  const f = rec.firings.map(
    (x) => `${x.fireAt.toISOString().slice(11, 19)} ${x.source}/${x.outcome} run ${x.runId ?? '-'} by ${x.instance}`,
  );
  const n = rec.nightlies.map((x) => {
    const kids = rec.children.get(x.id) ?? [];
    return `nightly ${x.id} ${iso(x.fireAt)?.slice(11, 19)} ${x.state} (${x.message ?? ''}) children ${kids
      .map((c) => `${c.id}:${DEMO_PROJECTS.get(c.projectRef ?? '') ?? c.projectRef}#${c.attempt}/${c.state}@${c.ownerInstance}`)
      .join(' ')}`;
  });
  return `\n  firings:\n    ${f.join('\n    ')}\n  nightlies:\n    ${n.join('\n    ')}`;
}

/**
 * Exactly one nightly run per started firing and none other; a firing while a nightly ran is
 * recorded skipped and names that nightly; every nightly syncs each project once (first tries:
 * each project exactly once; a finished nightly: all of them).
 */
export function assertOneNightlyPerFiring(rec: NightlyRecord, o: { periodMs: number; sources: string[] }): void {
  const why = describeNightlies(rec);
  const byId = new Map(rec.nightlies.map((n) => [n.id, n]));
  for (const [i, f] of rec.firings.entries()) {
    assert.ok(o.sources.includes(f.source), `firing ${f.fireAt.toISOString()}: source ${f.source}${why}`);
    assert.equal(f.fireAt.getTime() % o.periodMs, 0, `firing ${f.fireAt.toISOString()} is a scheduled time${why}`);
    if (i > 0) assert.equal(f.fireAt.getTime() - rec.firings[i - 1].fireAt.getTime(), o.periodMs, `no firing missed or doubled${why}`);
    assert.ok(['started', 'skipped'].includes(f.outcome), `firing ${f.fireAt.toISOString()} ended ${f.outcome}${why}`);
    const run = f.runId === null ? undefined : byId.get(f.runId);
    assert.ok(run, `firing ${f.fireAt.toISOString()} names a nightly run (${f.runId})${why}`);
    if (f.outcome === 'started') {
      assert.equal(iso(run.fireAt), f.fireAt.toISOString(), `the nightly of firing ${f.fireAt.toISOString()} carries its fire time${why}`);
    } else {
      assert.ok(run.fireAt! < f.fireAt, `a skipped firing names an earlier nightly${why}`);
      // That nightly still ran at the fire time (its end is a little later than the decision, at most).
      assert.ok(!run.finishedAt || run.finishedAt.getTime() >= f.fireAt.getTime() - 1000, `skipped while nightly ${run.id} ran${why}`);
    }
  }
  const started = rec.firings.filter((f) => f.outcome === 'started');
  assert.deepEqual(
    rec.nightlies.map((n) => n.id),
    started.map((f) => f.runId),
    `one nightly run per started firing, no other${why}`,
  );
  assert.equal(new Set(rec.nightlies.map((n) => iso(n.fireAt))).size, rec.nightlies.length, `no two nightlies for one fire time${why}`);

  for (const n of rec.nightlies) {
    const kids = rec.children.get(n.id) ?? [];
    for (const c of kids) assert.equal(c.kind, 'project', `child ${c.id} of nightly ${n.id} is a smart sync${why}`);
    const firstTries = kids.filter((c) => c.attempt === 1).map((c) => c.projectRef);
    assert.equal(new Set(firstTries).size, firstTries.length, `nightly ${n.id} syncs no project twice${why}`);
    const retries = kids.filter((c) => c.attempt > 1).map((c) => `${c.projectRef}#${c.attempt}`);
    assert.equal(new Set(retries).size, retries.length, `nightly ${n.id} tries a project at most once per attempt${why}`);
    if (n.state === 'succeeded') {
      assert.deepEqual(firstTries.sort(), [...DEMO_PROJECTS.keys()].sort(), `nightly ${n.id} synced each project of Demo Odoo${why}`);
      assert.match(n.message ?? '', /^3 of 3 projects synced/, `nightly ${n.id}${why}`);
    }
  }
}
