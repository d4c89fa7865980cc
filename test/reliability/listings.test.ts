import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SyncResult } from '../../server/sync/types';
import { activeCount, assertInvariants, closeAll, DEMO, mirrorSnapshot, Rig, type MirrorSnapshot } from './harness';

/** The 200 bodies that are not a listing at all (emulator listing faults); none may read as "nothing listed". */
const MALFORMED = ['emptyBody', 'emptyObject', 'nullData'] as const;

/** A sync that must not succeed: its state and message, or the RPC error's message. */
async function outcome(rig: Rig, method: string, params: Record<string, unknown>): Promise<{ state: string; message: string }> {
  const reply = await rig.bridge.call<SyncResult>(method, { wait_seconds: 60, ...params }, { timeoutMs: 90_000 });
  if (reply.error) return { state: 'rpc error', message: reply.error.data?.message ?? reply.error.message };
  return { state: reply.result!.state, message: `${reply.result!.message} ${JSON.stringify(reply.result!.failures)}` };
}

/** Runs `sync` with `faults` on, then off again; fails unless the emulator injected a fault at `endpoint`. */
async function underFaults<T>(rig: Rig, faults: Record<string, unknown>, endpoint: string, sync: () => Promise<T>): Promise<T> {
  await rig.emu.resetStats();
  await rig.emu.setFaults(faults);
  try {
    return await sync();
  } finally {
    const stats = await rig.emu.stats();
    await rig.emu.setFaults({});
    assert.ok((stats.faultsByEndpoint[endpoint] ?? 0) > 0, `the emulator altered a ${endpoint} reply`);
  }
}

function assertReported(r: { state: string; message: string }, what: string): void {
  assert.notEqual(r.state, 'succeeded', `a ${what} is reported, not a success: ${r.message}`);
  assert.ok(r.message.trim().length > 0, 'the run says what went wrong');
}

describe('malformed and empty LogiKal listings retire nothing', () => {
  let rig: Rig;
  let stored: MirrorSnapshot;
  /** GET /elevations calls of one clean force sync of DOS22309. */
  let elevationListings: number;

  /** Mirrors the directory tree, the projects of "Demo Odoo" and DOS22309 from a LogiKal without faults. */
  async function mirrorAll(): Promise<void> {
    for (const [method, params] of [
      ['sync.directories', {}],
      ['sync.projects', { directory_id: DEMO }],
    ] as const) {
      const r = await rig.bridge.rpc<SyncResult>(method, { wait_seconds: 60, ...params });
      assert.equal(r.state, 'succeeded', `${method}: ${r.message}`);
    }
    await rig.emu.resetStats();
    const r = await rig.bridge.forceSync('DOS22309');
    assert.equal(r.state, 'succeeded', r.message);
  }

  before(async () => {
    rig = await Rig.start();
    await mirrorAll();
    elevationListings = (await rig.emu.stats()).callsByEndpoint['GET /elevations'] ?? 0;
    stored = await rig.withDb(mirrorSnapshot);
    assert.ok(activeCount(stored, 'elevation') >= 17 && activeCount(stored, 'project') > 1 && activeCount(stored, 'directory') > 1);
  });
  // A test that failed may have retired rows: the next one starts from the whole mirror again.
  beforeEach(async () => {
    const now = await rig.withDb(mirrorSnapshot);
    if ([...stored].some(([key, row]) => row.active && !now.get(key)?.active)) await mirrorAll();
  });
  after(closeAll);

  for (const kind of MALFORMED) {
    it(`elevation listings answered ${kind}: the force sync reports it, every elevation stays active`, { timeout: 60_000 }, async () => {
      const r = await underFaults(rig, { listings: { 'GET /elevations': kind } }, 'GET /elevations', () =>
        outcome(rig, 'sync.force_project', { project_id: 'DOS22309', directory_id: DEMO }),
      );
      assertReported(r, `${kind} elevation listing`);
      await assertInvariants(rig, stored);
    });
  }

  it('phase listing answered {"data":null}: the force sync reports it, every phase stays active', { timeout: 60_000 }, async () => {
    const r = await underFaults(rig, { listings: { 'GET /phases': 'nullData' } }, 'GET /phases', () =>
      outcome(rig, 'sync.force_project', { project_id: 'DOS22309', directory_id: DEMO }),
    );
    assertReported(r, 'null phase listing');
    await assertInvariants(rig, stored);
  });

  for (const kind of MALFORMED) {
    it(`project listing answered ${kind}: sync.projects reports it, every project stays active`, { timeout: 60_000 }, async () => {
      const r = await underFaults(rig, { listings: { 'GET /projects': kind } }, 'GET /projects', () =>
        outcome(rig, 'sync.projects', { directory_id: DEMO }),
      );
      assertReported(r, `${kind} project listing`);
      await assertInvariants(rig, stored);
    });
  }

  it('directory listing answered {}: sync.directories reports it, every directory stays active', { timeout: 60_000 }, async () => {
    const r = await underFaults(rig, { listings: { 'GET /directories': 'emptyObject' } }, 'GET /directories', () =>
      outcome(rig, 'sync.directories', {}),
    );
    assertReported(r, 'malformed directory listing');
    await assertInvariants(rig, stored);
  });

  it('one valid but empty elevation listing: confirmed by a second listing, nothing retired', { timeout: 60_000 }, async () => {
    const empty = { script: [{ endpoint: 'GET /elevations', kind: 'emptyList' }] };
    await underFaults(rig, empty, 'GET /elevations', () =>
      outcome(rig, 'sync.force_project', { project_id: 'DOS22309', directory_id: DEMO }),
    );
    const listings = (await rig.emu.stats()).callsByEndpoint['GET /elevations'] ?? 0;
    assert.ok(
      listings > elevationListings,
      `the empty listing was checked by another (${listings} listings, ${elevationListings} without it)`,
    );
    await assertInvariants(rig, stored);
  });

  it('one valid but empty project listing: sync.projects confirms it before retiring, nothing retired', { timeout: 60_000 }, async () => {
    await underFaults(rig, { script: [{ endpoint: 'GET /projects', kind: 'emptyList' }] }, 'GET /projects', () =>
      outcome(rig, 'sync.projects', { directory_id: DEMO }),
    );
    const listings = (await rig.emu.stats()).callsByEndpoint['GET /projects'] ?? 0;
    assert.ok(listings > 1, `the empty listing was checked by another (${listings} listings)`);
    await assertInvariants(rig, stored);
  });
});
