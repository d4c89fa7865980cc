import assert from 'node:assert/strict';
import type { EntityManager } from 'typeorm';
import { Elevation, ElevationGlass } from '../../entities';
import type { LogikalEmulator } from '../../emulator';
import { LogikalClient, type LogikalClientOptions } from '../../server/logikal';
import { SyncService } from '../../server/sync/sync.service';
import type { SyncResult } from '../../server/sync/types';
import { EMU_PASSWORD, EMU_USER, type Rig } from './bridge-with-emulator';

export const PARTS_LIST_CALL = 'GET /elevations/selected/parts-list';
export const DEMO = 'Demo Odoo';

/** Polls sync.status over JSON-RPC until the run is terminal; fails the test instead of hanging. */
export async function waitTerminal(rig: Rig, runId: number, timeoutMs = 20_000): Promise<SyncResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await rig.bridge.rpc('sync.status', { run_id: runId });
    assert.equal(res.error, undefined, JSON.stringify(res.error));
    const r = res.result as SyncResult;
    if (r.state !== 'running' && r.state !== 'queued') return r;
    if (Date.now() > deadline) assert.fail(`run ${runId} still ${r.state} after ${timeoutMs} ms: ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A force sync over JSON-RPC that must answer without an RPC error. */
export async function forceSync(rig: Rig, projectId: string, directoryId = DEMO, extra: Record<string, unknown> = {}): Promise<SyncResult> {
  const res = await rig.bridge.rpc('sync.force_project', { project_id: projectId, directory_id: directoryId, wait_seconds: 60, ...extra });
  assert.equal(res.error, undefined, JSON.stringify(res.error));
  return res.result as SyncResult;
}

export async function smartSync(rig: Rig, projectId: string, directoryId = DEMO): Promise<SyncResult> {
  const res = await rig.bridge.rpc('sync.project', { project_id: projectId, directory_id: directoryId, wait_seconds: 60 });
  assert.equal(res.error, undefined, JSON.stringify(res.error));
  return res.result as SyncResult;
}

/** I3 + honest counters: a terminal state whose numbers add up and whose flags agree with the failures. */
export function assertHonest(r: SyncResult): void {
  assert.ok(['succeeded', 'partial', 'failed'].includes(r.state), `terminal state, got ${r.state}`);
  assert.equal(r.success, r.state === 'succeeded');
  assert.ok(r.finished_at, 'finished_at set');
  assert.ok(r.message && r.message.length > 0, 'message set');
  assert.equal(
    r.parts_lists_synced + r.parts_lists_unchanged + r.parts_lists_failed,
    r.elevations_total,
    `parts-list counters add up to the elevations attempted: ${JSON.stringify(r)}`,
  );
  assert.ok(r.failures.length >= r.parts_lists_failed, 'every failed parts list is listed');
  if (r.state === 'succeeded') assert.deepEqual(r.failures, []);
  else assert.ok(r.failures.length > 0 || r.state === 'failed', 'a partial run names what failed');
  for (const f of r.failures) assert.ok(f.elevation && f.reason, `failure entry complete: ${JSON.stringify(f)}`);
}

/** I5 at the emulator: every login logged out, nothing open, never above the cap. */
export function assertSessionsBalanced(emulator: LogikalEmulator, cap = 4): void {
  const s = emulator.stats();
  assert.equal(s.logins, s.logouts, `logins ${s.logins} == logouts ${s.logouts}`);
  assert.equal(s.openSessions, 0, 'no session left open');
  assert.ok(s.peakSessions <= cap, `peak sessions ${s.peakSessions} <= ${cap}`);
}

export function partsListCalls(emulator: LogikalEmulator): number {
  return emulator.stats().callsByEndpoint[PARTS_LIST_CALL] ?? 0;
}

/** Everything a parts list put into the mirror for one elevation (file, hash, parsed fields, glass rows). */
export async function partsSnapshot(ds: EntityManager, elevationId: number): Promise<Record<string, unknown>> {
  const e = await ds
    .getRepository(Elevation)
    .createQueryBuilder('e')
    .leftJoinAndSelect('e.partsListFile', 'pf')
    .where('e.id = :id', { id: elevationId })
    .getOneOrFail();
  const glass = await ds.getRepository(ElevationGlass).find({ where: { elevationId }, order: { id: 'ASC' } });
  return {
    partsList: e.partsListFile?.content.toString('base64') ?? null,
    partsListSha256: e.partsListSha256,
    partsListSize: e.partsListSize,
    parseStatus: e.parseStatus,
    partsCount: e.partsCount,
    systemName: e.systemName,
    systemCode: e.systemCode,
    widthOut: e.widthOut,
    heightOut: e.heightOut,
    autoDescription: e.autoDescription,
    colorBaseLong: e.colorBaseLong,
    glass: glass.map(({ id: _id, ...g }) => g),
  };
}

/**
 * A SyncService on the rig's database with its own Logikal client, for knobs the environment does
 * not expose (per-call timeout, fast backoff). Runs it starts are ordinary sync_runs rows.
 */
export function directSync(rig: Rig, opts: Partial<LogikalClientOptions> = {}): { sync: SyncService; client: LogikalClient } {
  const client = new LogikalClient({
    baseUrl: rig.emulator.url,
    username: EMU_USER,
    password: EMU_PASSWORD,
    maxSessions: 4,
    backoffBaseMs: 5,
    backoffMaxMs: 40,
    ...opts,
  });
  return { sync: new SyncService(rig.bridge.app.services.db, rig.bridge.app.services.config, client), client };
}

/** Waits for the bridge's runs to end, checks I5 so far, then zeroes the emulator's counters. */
export async function checkpoint(rig: Rig): Promise<void> {
  await rig.bridge.app.services.sync.drain();
  assertSessionsBalanced(rig.emulator);
  rig.emulator.resetStats();
}

/** The `after` of every sync test file: let runs finish, check I5, always close the rig. */
export async function closeBalanced(rig: Rig | undefined): Promise<void> {
  if (!rig) return;
  try {
    await rig.bridge.app.services.sync.drain();
    assertSessionsBalanced(rig.emulator);
  } finally {
    await rig.close();
  }
}
