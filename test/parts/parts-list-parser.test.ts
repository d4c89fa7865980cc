import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generatePartsList, type PartsListSpec } from '../../emulator/parts-list-generator';
import { demoSpec, expectedPartsList } from './parts-oracles';
import { PartsListError, PartsListParser } from '../../server/parts/parts-list-parser';
import { freshDir, listDir, removeDir, ms, mutate } from './parts-test-util';

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PartsListError, `expected PartsListError, got ${String(e)}`);
    return e.reason;
  }
  assert.fail('expected the parse to fail');
}

test('parser: extracts exactly the spec values and glass rows; 1.5 MB timing', async () => {
  const dir = freshDir('parse');
  const parser = new PartsListParser({ tempDir: dir });
  const spec = demoSpec({
    targetBytes: 1_500_000,
    glassCount: 3,
    systemName: 'Reynaers ConceptPatio 130-LS (CP 130-LS)',
    systemCode: 'CP130LS',
    systemLongName: 'Reynaers ConceptPatio 130-LS Lift&Slide',
    widthMm: 2290,
    heightMm: 1403,
  });
  const bytes = generatePartsList(spec);
  const start = process.hrtime.bigint();
  const got = await parser.parse(bytes, 'P1');
  const took = ms(start);
  assert.deepEqual(got, expectedPartsList(spec));
  assert.equal(got.elevation.widthOut, 2290);
  assert.equal(got.elevation.heightOut, 1403);
  assert.equal(got.elevation.systemName, 'Reynaers ConceptPatio 130-LS (CP 130-LS)');
  assert.equal(got.elevation.systemCode, 'CP130LS');
  assert.equal(got.elevation.colorBaseLong, 'RAL 9016 Verkehrsweiß');
  assert.equal(got.elevation.areaUnit, 'm²');
  assert.equal(got.glass.length, 3);
  assert.equal(typeof got.glass[0]?.areaOffer, 'number', 'AreaOffer is stored as TEXT and coerced');
  assert.equal(got.partsCount, got.counts.articles + got.counts.profiles + got.counts.glass);
  assert.ok(got.counts.articles >= 20 && got.counts.profiles >= 15);
  assert.ok(took < 1000, `parsed ${bytes.length} B in ${took.toFixed(1)} ms`);
  assert.deepEqual(listDir(dir), []);
  removeDir(dir);
});

test('parser: matches many specs exactly (glass 1–4, phases, seeds)', async () => {
  const dir = freshDir('parse-many');
  const parser = new PartsListParser({ tempDir: dir });
  for (let seed = 1; seed <= 8; seed++) {
    const spec: PartsListSpec = demoSpec({
      seed,
      glassCount: ((seed - 1) % 4) + 1,
      elevationName: `P0${seed}`,
      phaseName: seed % 2 ? '' : 'Phase 2',
      alternatives: seed % 3,
      decoyNames: [`P0${seed}0`, `p0${seed}`],
      widthMm: 900 + seed * 100,
    });
    assert.deepEqual(await parser.parse(generatePartsList(spec), spec.elevationName), expectedPartsList(spec), `seed ${seed}`);
  }
  assert.deepEqual(listDir(dir), []);
  removeDir(dir);
});

test('parser: never picks alternatives or LIKE-style decoys (P1 vs P10), name match is exact', async () => {
  const dir = freshDir('decoys');
  const parser = new PartsListParser({ tempDir: dir });
  const spec = demoSpec({ elevationName: 'P1', alternatives: 3, decoyNames: ['P10', 'P11', 'XP1'] });
  const bytes = generatePartsList(spec);
  const p1 = await parser.parse(bytes, 'P1');
  const p10 = await parser.parse(bytes, 'P10');
  assert.deepEqual(p1, expectedPartsList(spec));
  assert.notEqual(p10.elevation.systemName, p1.elevation.systemName);
  assert.notEqual(p10.elevation.widthOut, p1.elevation.widthOut);
  assert.ok(
    p10.glass.every((g) => !p1.glass.some((h) => h.glassId === g.glassId)),
    'glass filtered per elevation',
  );
  assert.equal(await reason(parser.parse(bytes, 'p1')), 'no_matching_elevation');
  assert.equal(await reason(parser.parse(bytes, 'P')), 'no_matching_elevation');
  assert.equal(await reason(parser.parse(bytes, '%')), 'no_matching_elevation');
  assert.equal(await reason(parser.parse(bytes, 'P1 ')), 'no_matching_elevation');
  assert.deepEqual(listDir(dir), []);
  removeDir(dir);
});

test('parser: numbers arriving as TEXT are coerced; junk becomes null', async () => {
  const dir = freshDir('coerce');
  const parser = new PartsListParser({ tempDir: dir });
  const bytes = mutate(generatePartsList(demoSpec()), (db) => {
    db.exec(`ALTER TABLE Elevations ADD COLUMN Junk TEXT;
      CREATE TABLE E2 AS SELECT * FROM Elevations; DROP TABLE Elevations;
      CREATE TABLE Elevations AS SELECT * FROM E2; DROP TABLE E2;`); // CTAS: columns lose REAL affinity
    db.prepare(
      "UPDATE Elevations SET Width_Output = ' 3100.5 ', Height_Output = '2,245', Weight_Output = 'n/a', " +
        "Area_Output = NULL, SystemCode = 42 WHERE Name = 'P1' AND Alternative = 0",
    ).run();
  });
  const got = await parser.parse(bytes, 'P1');
  assert.equal(got.elevation.widthOut, 3100.5);
  assert.equal(got.elevation.heightOut, 2.245);
  assert.equal(got.elevation.weightOut, null);
  assert.equal(got.elevation.areaOutput, null);
  assert.equal(got.elevation.systemCode, '42');
  assert.deepEqual(listDir(dir), []);
  removeDir(dir);
});

test('parser: missing column is reported by name; duplicate main rows are refused', async () => {
  const dir = freshDir('columns');
  const parser = new PartsListParser({ tempDir: dir });
  const base = generatePartsList(demoSpec());
  const noCol = mutate(base, (db) => db.exec('ALTER TABLE Elevations DROP COLUMN SystemLongName; ALTER TABLE Glass DROP COLUMN GlassID'));
  await assert.rejects(
    parser.parse(noCol, 'P1'),
    (e: unknown) =>
      e instanceof PartsListError &&
      e.reason === 'missing_column' &&
      e.message.includes('Elevations table: SystemLongName') &&
      e.message.includes('Glass table: GlassID'),
  );
  const optionalGone = mutate(base, (db) => db.exec('ALTER TABLE Glass DROP COLUMN ModelType; DROP TABLE Articles'));
  const partial = await parser.parse(optionalGone, 'P1');
  assert.ok(partial.glass.every((g) => g.modelType === null));
  assert.equal(partial.counts.articles, 0);
  const dup = mutate(base, (db) => db.exec("INSERT INTO Elevations SELECT * FROM Elevations WHERE Name = 'P1' AND Alternative = 0"));
  assert.equal(await reason(parser.parse(dup, 'P1')), 'ambiguous_elevation');
  assert.deepEqual(listDir(dir), []);
  removeDir(dir);
});

test('parser: size/timeout limits, and environment failures are not disguised as bad files', async () => {
  const dir = freshDir('limits');
  const big = generatePartsList(demoSpec({ targetBytes: 9_000_000 }));
  assert.equal(await reason(new PartsListParser({ tempDir: dir, maxBytes: 1_000_000 }).parse(big, 'P1')), 'too_large');
  assert.equal(await reason(new PartsListParser({ tempDir: dir, timeoutMs: 1 }).parse(big, 'P1')), 'timeout');
  assert.deepEqual(listDir(dir), []);
  const file = path.join(dir, 'not-a-dir');
  fs.writeFileSync(file, 'x');
  await assert.rejects(
    new PartsListParser({ tempDir: path.join(file, 'sub') }).parse(big, 'P1'),
    (e: unknown) => !(e instanceof PartsListError) && (e as NodeJS.ErrnoException).code === 'ENOTDIR',
  );
  removeDir(dir);
});

test('parser: many parses in parallel stay correct and clean up', async () => {
  const dir = freshDir('parallel');
  const parser = new PartsListParser({ tempDir: dir });
  const specs = Array.from({ length: 24 }, (_, i) =>
    demoSpec({ seed: 100 + i, elevationName: `P${i + 1}`, decoyNames: [`P${i + 1}0`], glassCount: (i % 4) + 1, targetBytes: 700_000 }),
  );
  const files = specs.map((s) => generatePartsList(s));
  const results = await Promise.all(files.map((f, i) => parser.parse(f, specs[i]?.elevationName ?? '')));
  results.forEach((r, i) => assert.deepEqual(r, expectedPartsList(specs[i])));
  assert.deepEqual(listDir(dir), []);
  removeDir(dir);
});
