// What every reliability test ends on, read straight from the database and the emulator: no run
// left queued or running, no LogiKal session open, nothing stored before lost.
import assert from 'node:assert/strict';
import { Directory, Elevation, Phase, Project, SyncRun } from '../../entities';
import type { EmulatorStats } from '../../emulator';
import type { Db } from '../../server/db/db';
import { ACTIVE_STATES, eventually, type EmulatorProcess } from './processes';

export interface RunRow {
  id: number;
  state: string;
  kind: string;
  target: string;
  message: string | null;
}

export function runsOf(db: Db): Promise<RunRow[]> {
  return db.reader
    .getRepository(SyncRun)
    .find({ order: { id: 'ASC' } })
    .then((rows) => rows.map(({ id, state, kind, target, message }) => ({ id, state, kind, target, message })));
}

/**
 * Every mirrored row by a stable key ("directory Demo Odoo", "project <guid>", "phase <project>/<guid>",
 * "elevation <phase>/<guid>"): whether it is active and, for elevations, the hash of its stored parts list.
 */
export type MirrorSnapshot = Map<string, { name: string; active: boolean; partsListSha256: string | null }>;

export async function mirrorSnapshot(db: Db): Promise<MirrorSnapshot> {
  const r = db.reader;
  const snap: MirrorSnapshot = new Map();
  for (const d of await r.getRepository(Directory).find())
    snap.set(`directory ${d.path}`, { name: d.path, active: d.active, partsListSha256: null });
  for (const p of await r.getRepository(Project).find())
    snap.set(`project ${p.logikalId}`, { name: p.name, active: p.active, partsListSha256: null });
  for (const p of await r.getRepository(Phase).find())
    snap.set(`phase ${p.projectId}/${p.logikalId}`, { name: p.name, active: p.active, partsListSha256: null });
  for (const e of await r.getRepository(Elevation).find())
    snap.set(`elevation ${e.phaseId}/${e.logikalId}`, { name: e.name, active: e.active, partsListSha256: e.partsListSha256 });
  return snap;
}

/** How many rows of a kind ('elevation', 'project', …) the snapshot holds active. */
export function activeCount(snap: MirrorSnapshot, kind: string): number {
  return [...snap].filter(([k, v]) => k.startsWith(`${kind} `) && v.active).length;
}

/** Nothing stored before is lost: every row active before still is, every stored parts list still there. */
export function assertNothingLost(before: MirrorSnapshot, after: MirrorSnapshot): void {
  for (const [key, b] of before) {
    const a = after.get(key);
    assert.ok(a, `${key} (${b.name}) still stored`);
    if (b.active) assert.equal(a.active, true, `${key} (${b.name}) still active`);
    if (b.partsListSha256) assert.ok(a.partsListSha256, `${key} (${b.name}) still has its parts list`);
  }
}

/** No LogiKal session left open: every login logged out (polled: a run's last logout may trail its answer). */
export async function assertSessionsClosed(emulator: EmulatorProcess, timeoutMs = 15_000): Promise<EmulatorStats> {
  let last: EmulatorStats | undefined;
  try {
    return await eventually('every LogiKal session logged out', timeoutMs, async () => {
      last = await emulator.stats();
      return last.openSessions === 0 && last.logins === last.logouts ? last : undefined;
    });
  } catch (err) {
    if (last) assert.fail(`sessions: logins ${last.logins}, logouts ${last.logouts}, open ${last.openSessions}`);
    throw err;
  }
}

/** No run left queued or running in the database. */
export async function assertNoActiveRun(db: Db): Promise<RunRow[]> {
  const runs = await runsOf(db);
  const active = runs.filter((r) => ACTIVE_STATES.includes(r.state));
  assert.deepEqual(active, [], 'no run left queued or running');
  return runs;
}
