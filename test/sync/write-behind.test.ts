import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { getLogger } from '../../server/logging';
import { Elevation, Phase } from '../../entities';
import { generatePartsList } from '../../emulator/parts-list-generator';
import { LogikalClient, NULL_GUID, toElevation, toPhase, toProject, type LogikalElevation } from '../../server/logikal';
import { PartsListParser, type ParsedPartsList } from '../../server/parts/parts-list-parser';
import { Semaphore } from '../../server/semaphore';
import { ElevationPlan } from '../../server/sync/elevation-plan';
import { MirrorWriter } from '../../server/sync/mirror-writer';
import { PartsListUnits, type PartsUnit } from '../../server/sync/parts-list-units';
import { emptyCounters, type Counters } from '../../server/sync/run-store';
import type { SyncFailure } from '../../entities';
import { demoSpec } from '../parts/parts-oracles';
import { freshDir, removeDir } from '../parts/parts-test-util';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { assertHonest, closeBalanced, forceSync } from '../helpers/sync-checks';

// A session that downloaded a parts list goes on to the next one while the file is written to the
// database: the store hands back its verdict first (PartsListUnits.begin), the write and its counting
// follow. Nothing about what is stored or counted changes.

/** A MirrorWriter whose parts-list writes wait until the test lets them go. */
class GatedWriter extends MirrorWriter {
  private open!: () => void;
  readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  writesStarted = 0;

  release(): void {
    this.open();
  }

  override async storePartsList(id: number, bytes: Buffer, hash: string, parsed: ParsedPartsList, key: string): Promise<void> {
    this.writesStarted++;
    await this.gate;
    return super.storePartsList(id, bytes, hash, parsed, key);
  }
}

describe('the parts-list store hands back its verdict before its database write', () => {
  let t: TestApp;
  let dir: string;
  before(async () => {
    t = await startTestApp();
    dir = freshDir('write-behind');
  });
  after(async () => {
    await t.close();
    removeDir(dir);
  });

  async function setup(writer: MirrorWriter, names: string[]) {
    const project = await writer.project(toProject({ id: randomUUID(), name: 'WB' }, 0), await writer.directory('Write behind'));
    const phase: Phase = await writer.phase(project.id, toPhase({ id: NULL_GUID, name: '' }, 0));
    const units: PartsUnit[] = [];
    for (const name of names) {
      const e: LogikalElevation = toElevation({ id: randomUUID(), name, versionId: randomUUID(), changedDate: 1 }, 0);
      units.push({ phase, row: await writer.elevation(phase, e, null), e });
    }
    const counters: Counters = emptyCounters();
    const failures: SyncFailure[] = [];
    let flushes = 0;
    const partsUnits = new PartsListUnits({
      // Never called: begin and store only read and write.
      client: new LogikalClient({ baseUrl: 'http://127.0.0.1:9/api/v3', username: 'unused', password: 'unused', maxSessions: 1 }),
      writer,
      parser: new PartsListParser({ tempDir: dir }),
      parseLimit: new Semaphore(2),
      log: getLogger('test'),
      runId: 0,
      mode: 'force',
      directory: 'Write behind',
      sessions: {},
      counters,
      failures,
      plan: () => new ElevationPlan([], 'force', null),
      projectLogikalId: () => project.logikalId,
      stopped: () => false,
      fail: (what, err) => {
        const f = { elevation: what, reason: String(err) };
        failures.push(f);
        return f;
      },
      flush: () => {
        flushes++;
        return Promise.resolve();
      },
    });
    return { units, counters, failures, partsUnits, flushes: () => flushes };
  }

  function download(name: string) {
    const bytes = generatePartsList(demoSpec({ elevationName: name, targetBytes: 200_000 }));
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  it('a new file: the verdict comes while the write waits; it is counted and stored once the write is done', async () => {
    const writer = new GatedWriter(t.app.services.db);
    const { units, counters, partsUnits, flushes } = await setup(writer, ['P1']);
    const file = download('P1');
    const started = await partsUnits.begin(units[0], file);
    assert.equal(started.verdict, 'done');
    let written = false;
    void started.written.then(() => (written = true));
    // The write starts once the file is parsed, and then waits at the gate.
    for (const deadline = Date.now() + 10_000; writer.writesStarted === 0 && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(writer.writesStarted, 1, 'the write has started');
    assert.equal(written, false, 'and waits');
    assert.equal(counters.partsListsSynced, 0, 'nothing counted before the write is done');
    assert.equal(flushes(), 0);
    writer.release();
    await started.written;
    assert.equal(counters.partsListsSynced, 1);
    assert.equal(counters.partsListsFailed, 0);
    assert.equal(flushes(), 1, 'the progress after the write');
    const row = await t.app.services.db.reader.getRepository(Elevation).findOneByOrFail({ id: units[0].row.id });
    assert.equal(row.partsListSha256, file.sha256);
    assert.equal(row.parseStatus, 'success');
  });

  it('a sideways download that holds another elevation is suspect: nothing written, nothing counted', async () => {
    const writer = new GatedWriter(t.app.services.db);
    writer.release();
    const { units, counters, failures, partsUnits } = await setup(writer, ['P2', 'P3']);
    const p2 = download('P2');
    const first = await partsUnits.begin(units[0], p2, { previousSha256: undefined });
    assert.equal(first.verdict, 'done');
    await first.written;
    // P2's file again after a sideways select to P3: the select did not take.
    const again = await partsUnits.begin(units[1], p2, { previousSha256: p2.sha256 });
    assert.equal(again.verdict, 'suspect');
    // Another file without P3 in it: suspect too (only known after the parse).
    const other = await partsUnits.begin(units[1], download('P9'), { previousSha256: p2.sha256 });
    assert.equal(other.verdict, 'suspect');
    await Promise.all([again.written, other.written]);
    assert.equal(writer.writesStarted, 1, 'only P2 was written');
    assert.deepEqual(
      { synced: counters.partsListsSynced, failed: counters.partsListsFailed, failures: failures.length },
      { synced: 1, failed: 0, failures: 0 },
    );
  });

  it('a file that is not a parts list, downloaded on a fresh session: the verdict is done and the failure is counted by the write', async () => {
    const writer = new GatedWriter(t.app.services.db);
    writer.release();
    const { units, counters, failures, partsUnits } = await setup(writer, ['P4']);
    const junk = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4096, 7)]);
    const started = await partsUnits.begin(units[0], { bytes: junk, sha256: createHash('sha256').update(junk).digest('hex') });
    assert.equal(started.verdict, 'done');
    await started.written;
    assert.equal(counters.partsListsFailed, 1);
    assert.equal(failures.length, 1);
    assert.match(failures[0].elevation, /P4/);
    assert.equal(writer.writesStarted, 0);
  });
});

describe('progress writes of a run', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ emulator: { allowSiblingSelect: true } });
  });
  after(() => closeBalanced(rig));

  it('are one at a time, and the last holds the run’s final counters', async () => {
    const runs = rig.bridge.app.services.sync.runs;
    const progress = runs.progress.bind(runs);
    let inFlight = 0;
    let most = 0;
    const written: Counters[] = [];
    runs.progress = async (runId: number, c: Counters) => {
      inFlight++;
      most = Math.max(most, inFlight);
      written.push({ ...c });
      try {
        return await progress(runId, c);
      } finally {
        inFlight--;
      }
    };
    try {
      const r = await forceSync(rig, 'DOS22309');
      assertHonest(r);
      assert.equal(r.parts_lists_synced, 17);
      assert.equal(most, 1, 'never two progress writes of a run at once');
      const last = written.at(-1);
      assert.equal(last?.partsListsSynced, 17, `the last progress write is complete: ${JSON.stringify(last)}`);
      assert.equal(last?.elevationsTotal, 17);
    } finally {
      runs.progress = progress;
    }
  });
});
