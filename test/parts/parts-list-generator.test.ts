import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateHostilePartsList, generatePartsList } from '../../emulator/parts-list-generator';
import { demoSpec, expectedPartsList, HOSTILE_KINDS } from './parts-oracles';
import { inspect, ms } from './parts-test-util';

test('generator: a valid WAL-mode SQLite 3 file with page size 4096 and the real tables', () => {
  const buf = generatePartsList(demoSpec({ phaseName: '' }));
  assert.equal(buf.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  assert.equal(buf.readUInt16BE(16), 4096);
  assert.equal(buf[18], 2, 'write version 2 = WAL');
  assert.equal(buf[19], 2, 'read version 2 = WAL');
  assert.equal(buf.length % 4096, 0);
  inspect(buf, (db) => {
    assert.equal(db.pragma('quick_check', { simple: true }), 'ok');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
    for (const t of [
      'Projects',
      'Phases',
      'ElevationGroups',
      'Elevations',
      'Insertions',
      'Glass',
      'Articles',
      'Profiles',
      'AllArticles',
      'AllProfiles',
      'ProfileCuts',
      'ProfileBars',
      'Suppliers',
      'LabourTimes',
      'CalcDetailItems',
      'UValue',
      'Colors',
    ]) {
      assert.ok(tables.includes(t), `table ${t}`);
    }
    const project = db.prepare('SELECT Name, xGUID FROM Projects').get() as { Name: string; xGUID: string };
    assert.deepEqual(project, { Name: 'DOS22410', xGUID: '{15782E4D-A69C-4CE5-9C17-D3060A039B2D}' });
    const phase = db.prepare('SELECT Name, xGUID FROM Phases').get() as { Name: string; xGUID: string };
    assert.deepEqual(phase, { Name: '', xGUID: '{00000000-0000-0000-0000-000000000000}' });
    const rows = tables
      .filter((t) => t !== 'Pictures')
      .reduce((n, t) => n + (db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n, 0);
    assert.ok(rows >= 550 && rows <= 1000, `total rows ${rows} within the observed 550–1,000`);
    const main = db.prepare("SELECT * FROM Elevations WHERE Name = 'P1' AND Alternative = 0").get() as Record<string, unknown>;
    assert.equal(main['Width_Output'], 3100);
    assert.equal(main['Area_Unit'], 'm²');
    assert.equal(main['xGUID'], '{6F1C2B9E-0D4A-4B7E-9A51-3C2D1E0F4A77}');
    const alt = db.prepare("SELECT COUNT(*) AS n FROM Elevations WHERE Name = 'P1' AND Alternative = 1").get() as { n: number };
    assert.equal(alt.n, 1);
  });
});

test('generator: hits targetBytes within ±10% (real sizes 716,800 and 1,720,320) and fast', () => {
  for (const targetBytes of [716_800, 1_500_000, 1_720_320]) {
    const start = process.hrtime.bigint();
    const buf = generatePartsList(demoSpec({ targetBytes, seed: targetBytes }));
    const took = ms(start);
    assert.ok(Math.abs(buf.length - targetBytes) <= targetBytes * 0.1, `${buf.length} vs ${targetBytes}`);
    // Budget is 200 ms on the dev box (measured ~30–50 ms); headroom for slow CI.
    assert.ok(took < 600, `generated ${buf.length} B in ${took.toFixed(1)} ms`);
  }
});

test('generator: deterministic for a seed, different for another seed', () => {
  const spec = demoSpec({ targetBytes: 800_000, seed: 42 });
  assert.ok(generatePartsList(spec).equals(generatePartsList(spec)));
  assert.ok(!generatePartsList(spec).equals(generatePartsList({ ...spec, seed: 43 })));
  assert.deepEqual(expectedPartsList(spec), expectedPartsList({ ...spec }));
  assert.ok(generateHostilePartsList('bit-flips', spec).equals(generateHostilePartsList('bit-flips', spec)));
});

test('generator: hostile variants have the advertised shape', () => {
  const spec = demoSpec({ targetBytes: 700_000 });
  const good = generatePartsList(spec);
  const by = Object.fromEntries(HOSTILE_KINDS.map((k) => [k, generateHostilePartsList(k, spec)]));
  assert.equal(by['empty-file']?.length, 0);
  assert.notEqual(by['not-sqlite']?.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  assert.ok((by['oversize']?.length ?? 0) > 10 * 1024 * 1024);
  assert.ok((by['truncated']?.length ?? 0) < good.length);
  assert.equal(by['bit-flips']?.length, good.length);
  assert.ok(!by['bit-flips']?.equals(good));
  inspect(by['elevations-view'], (db) => {
    assert.equal((db.prepare("SELECT type FROM sqlite_master WHERE name = 'Elevations'").get() as { type: string }).type, 'view');
  });
  inspect(by['trigger'], (db) => {
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger'").get() as { n: number }).n, 1);
  });
  inspect(by['missing-glass'], (db) => {
    assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'Glass'").get(), undefined);
  });
});
