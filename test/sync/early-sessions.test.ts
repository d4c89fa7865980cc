import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LATENCY, type LatencyProfile } from '../../emulator';
import type { SyncResult } from '../../server/sync/types';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { assertHonest, closeBalanced, DEMO } from '../helpers/sync-checks';

// A force sync does not wait for its first session to list the first phase before it starts its
// other sessions: as soon as that session has found the project and its phases (and LogiKal said
// which server it is), the other phases are listed on sessions of their own and, where sessions
// are reused, further sessions walk to the project — also on the first run of a new process, which
// did not know yet how LogiKal behaves. Seen here while the first phase's 13 thumbnails (slowed
// down) are still being fetched by the first session.

const THUMBNAIL_SECONDS = 0.25;
const THUMBNAILS = 'GET /elevations/{elevationId}/thumbnail';
const LISTINGS = 'GET /elevations';
const PROJECT_SELECTS = 'POST /projects/select';

/** Every call answered at once but thumbnails. */
function slowThumbnails(): Partial<LatencyProfile> {
  const zero = Object.fromEntries(Object.keys(DEFAULT_LATENCY).map((k) => [k, 0])) as unknown as LatencyProfile;
  return { ...zero, thumbnail: THUMBNAIL_SECONDS };
}

interface Moment {
  thumbnails: number;
  listings: number;
  projectSelects: number;
}

/**
 * Runs a force sync of DOS22309 and notes the calls LogiKal had answered when the second phase was
 * listed, and when 8 thumbnails were (the first phase has 13; its session fetches them one by one).
 */
async function forceWatching(rig: Rig): Promise<{ result: SyncResult; secondListing?: Moment; eightThumbnails?: Moment }> {
  rig.emulator.resetStats();
  const run = rig.bridge.app.services.sync.syncProject('force', { projectId: 'DOS22309', directoryId: DEMO, waitSeconds: 120 });
  let secondListing: Moment | undefined;
  let eightThumbnails: Moment | undefined;
  let done = false;
  void run.finally(() => (done = true)).catch(() => undefined);
  while (!done && !(secondListing && eightThumbnails)) {
    const calls = rig.emulator.stats().callsByEndpoint;
    const now = { thumbnails: calls[THUMBNAILS] ?? 0, listings: calls[LISTINGS] ?? 0, projectSelects: calls[PROJECT_SELECTS] ?? 0 };
    if (now.listings >= 2) secondListing ??= now;
    if (now.thumbnails >= 8) eightThumbnails ??= now;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const result = await run;
  await rig.bridge.app.services.sync.drain();
  return { result, secondListing, eightThumbnails };
}

describe('a LogiKal that lets sessions select sibling elevations, on the first run of a process', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ emulator: { allowSiblingSelect: true, latencyScale: 1, latency: slowThumbnails() } });
  });
  after(() => closeBalanced(rig));

  it('lists the second phase and walks further sessions to the project while the first phase’s thumbnails are fetched', async () => {
    const { result, secondListing, eightThumbnails } = await forceWatching(rig);
    assertHonest(result);
    assert.equal(result.state, 'succeeded', result.message);
    assert.equal(result.parts_lists_synced, 17);
    assert.ok(secondListing, 'the second phase was listed');
    assert.ok(
      secondListing.thumbnails < 13,
      `the second phase listed before the first phase's 13 thumbnails: ${JSON.stringify(secondListing)}`,
    );
    // 4 licences: the first session, the second phase's lister and 2 hired sessions, each in the project.
    assert.equal(eightThumbnails?.projectSelects, 4, `every session walked to the project meanwhile: ${JSON.stringify(eightThumbnails)}`);
    const s = rig.emulator.stats();
    assert.ok(s.logins <= 4, `one login per licence, got ${s.logins}`);
    assert.equal(s.callsByEndpoint[THUMBNAILS], 17, 'every thumbnail once');
  });
});

describe('a LogiKal that lets sessions select sibling elevations, syncing a project the mirror knows', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ emulator: { allowSiblingSelect: true, latencyScale: 1, latency: slowThumbnails() } });
  });
  after(() => closeBalanced(rig));

  it('the sessions that will download a phase’s parts lists fetch its thumbnails with its lister', async () => {
    const first = await forceWatching(rig);
    assertHonest(first.result);
    // Known now: the mirror's plan says how big each phase is, so further sessions choose their
    // phase before it is listed, walk into it and share its thumbnails.
    const started = { at: 0 };
    const seen: number[] = [];
    const watch = setInterval(() => {
      const n = rig.emulator.stats().callsByEndpoint[THUMBNAILS] ?? 0;
      if (n > 0 && !started.at) started.at = performance.now();
      if (n >= 13 && seen.length === 0) seen.push(performance.now() - started.at);
    }, 10);
    try {
      const { result } = await forceWatching(rig);
      assertHonest(result);
      assert.equal(result.parts_lists_synced, 17);
      assert.equal(rig.emulator.stats().callsByEndpoint[THUMBNAILS], 17, 'every thumbnail once');
    } finally {
      clearInterval(watch);
    }
    // One session alone needs 13 × 0.25 s for the first phase's thumbnails.
    assert.ok(seen[0] !== undefined && seen[0] < 13 * THUMBNAIL_SECONDS * 1000 * 0.7, `13 thumbnails in ${seen[0]} ms`);
  });
});

describe('a strict LogiKal (sibling selects refused), once that is known', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ emulator: { latencyScale: 1, latency: slowThumbnails() } });
  });
  after(() => closeBalanced(rig));

  it('lists the second phase on a session of its own while the first phase’s thumbnails are fetched', async () => {
    const learning = await forceWatching(rig);
    assertHonest(learning.result);
    assert.equal(learning.result.state, 'succeeded', learning.result.message);
    const { result, secondListing } = await forceWatching(rig);
    assertHonest(result);
    assert.equal(result.state, 'succeeded', result.message);
    assert.equal(result.parts_lists_synced, 17);
    assert.ok(secondListing, 'the second phase was listed');
    assert.ok(
      secondListing.thumbnails < 13,
      `the second phase listed before the first phase's 13 thumbnails: ${JSON.stringify(secondListing)}`,
    );
    assert.equal(rig.emulator.stats().logins, 19, 'as many logins as ever: 1 + 1 phase + 17 parts lists');
  });
});
