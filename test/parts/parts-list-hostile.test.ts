import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateHostilePartsList, nameQuotesName, type HostileKind } from '../../emulator/parts-list-generator';
import { demoSpec, expectedPartsList, HOSTILE_KINDS } from './parts-oracles';
import { PartsListError, PartsListParser } from '../../server/parts/parts-list-parser';
import { freshDir, listDir, removeDir } from './parts-test-util';

// 'lowercase-columns' and 'name-quotes' must PARSE: SQLite identifiers are case-insensitive, and a
// name full of quotes and ../ is only data when every value is bound.
const EXPECTED: Record<HostileKind, string> = {
  'not-sqlite': 'not_sqlite',
  truncated: 'corrupt',
  'empty-file': 'empty_file',
  'missing-glass': 'missing_table',
  'lowercase-columns': 'ok',
  'empty-elevations': 'no_matching_elevation',
  oversize: 'too_large',
  'elevations-view': 'hostile_schema',
  trigger: 'hostile_schema',
  'name-quotes': 'ok',
  'no-matching-row': 'no_matching_elevation',
  'bit-flips': 'corrupt',
};

async function outcome(parser: PartsListParser, bytes: Buffer, name: string): Promise<string> {
  try {
    await parser.parse(bytes, name);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof PartsListError, `crash instead of PartsListError: ${String(e)}`);
    return e.reason;
  }
}

test('hostile: every kind gives its reason and leaves no temp files', async () => {
  const dir = freshDir('hostile');
  const parser = new PartsListParser({ tempDir: dir });
  const spec = demoSpec({ targetBytes: 800_000 });
  for (const kind of HOSTILE_KINDS) {
    const name = kind === 'name-quotes' ? nameQuotesName(spec.elevationName) : spec.elevationName;
    assert.equal(await outcome(parser, generateHostilePartsList(kind, spec), name), EXPECTED[kind], kind);
    assert.deepEqual(listDir(dir), [], `temp files left after ${kind}`);
  }
  removeDir(dir);
});

test('hostile: lower-case columns and quoted names still yield the right elevation', async () => {
  const dir = freshDir('hostile-ok');
  const parser = new PartsListParser({ tempDir: dir });
  const spec = demoSpec({ seed: 7, glassCount: 4 });
  assert.deepEqual(await parser.parse(generateHostilePartsList('lowercase-columns', spec), 'P1'), expectedPartsList(spec));
  const quoted = generateHostilePartsList('name-quotes', spec);
  const got = await parser.parse(quoted, nameQuotesName('P1'));
  assert.equal(got.elevation.systemName, spec.systemName);
  assert.equal(got.elevation.widthOut, spec.widthMm);
  assert.equal(got.glass.length, 4);
  const plain = await parser.parse(quoted, 'P1'); // a decoy literally named P1 lives in that file too
  assert.notEqual(plain.elevation.systemName, spec.systemName);
  assert.deepEqual(listDir(dir), []);
  removeDir(dir);
});

test('hostile: bit flips over many seeds are always a clean corrupt, in parallel', async () => {
  const dir = freshDir('flips');
  const parser = new PartsListParser({ tempDir: dir });
  const files = Array.from({ length: 12 }, (_, i) => generateHostilePartsList('bit-flips', demoSpec({ seed: 1000 + i })));
  const reasons = await Promise.all(files.map((f) => outcome(parser, f, 'P1')));
  assert.deepEqual(
    reasons,
    reasons.map(() => 'corrupt'),
  );
  const truncs = Array.from({ length: 6 }, (_, i) => generateHostilePartsList('truncated', demoSpec({ seed: i, targetBytes: 716_800 })));
  assert.deepEqual(
    await Promise.all(truncs.map((f) => outcome(parser, f, 'P1'))),
    truncs.map(() => 'corrupt'),
  );
  assert.deepEqual(listDir(dir), []);
  removeDir(dir);
});
