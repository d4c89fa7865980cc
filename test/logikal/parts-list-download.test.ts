import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readPartsListBody } from '../../server/logikal/parts-list-download';
import { SQLITE_MAGIC } from '../../server/logikal/download-checks';
import { LogikalProtocolError } from '../../server/logikal/logikal-errors';

// The parts-list answer is read from the response bytes without JSON-parsing or regex-matching its
// megabytes of base64; it must accept and refuse exactly what JSON.parse + strict base64 would.

function sqliteLike(size: number): Buffer {
  const b = Buffer.alloc(size);
  SQLITE_MAGIC.copy(b, 0);
  for (let i = 100; i < size; i++) b[i] = (i * 7919) % 251;
  return b;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('the file and its sha256, whatever the size (chunk boundaries, padding) and the envelope around it', () => {
  for (const size of [100, 101, 102, 65_535, 65_536 * 3 + 1, 1_700_000]) {
    const file = sqliteLike(size);
    const b64 = file.toString('base64');
    const bodies = [
      { data: b64, hints: [], warnings: [] },
      { hints: ['a "data": hint', { nested: { data: 'no' } }], warnings: [], data: b64 },
    ].map((o) => Buffer.from(JSON.stringify(o)));
    bodies.push(Buffer.from(`\uFEFF {\n  "data" : "${b64}" ,\n  "hints": [ ] }`));
    bodies.push(Buffer.from(`{"data":"${b64.replace(/\//g, '\\/')}"}`)); // .NET escapes '/': read the plain way
    for (const body of bodies) {
      const r = readPartsListBody(body);
      assert.ok(r.bytes.equals(file), `size ${size}`);
      assert.equal(r.sha256, sha(file));
    }
  }
});

test('what JSON.parse reads decides: a second "data" key wins, a bare string is the data', () => {
  const a = sqliteLike(300);
  const b = sqliteLike(400);
  const body = Buffer.from(`{"data":"${a.toString('base64')}","data":"${b.toString('base64')}"}`);
  assert.ok(readPartsListBody(body).bytes.equals(b));
  assert.ok(readPartsListBody(Buffer.from(JSON.stringify(b.toString('base64')))).bytes.equals(b));
});

test('refuses what strict base64 refuses, and answers that are no parts list', () => {
  const b64 = sqliteLike(3000).toString('base64');
  const cases: Array<[string, RegExp]> = [
    [JSON.stringify({ data: b64.slice(0, -1) }), /not a multiple of 4/],
    [JSON.stringify({ data: b64.slice(0, 100) + '-' + b64.slice(101) }), /invalid base64 \(character code 45 at offset 100\)/],
    [JSON.stringify({ data: b64.slice(0, 100) + '_' + b64.slice(101) }), /invalid base64/],
    [JSON.stringify({ data: b64.slice(0, 100) + '*' + b64.slice(101) }), /invalid base64 \(character code 42 at offset 100\)/],
    [JSON.stringify({ data: b64.slice(0, 100) + '=' + b64.slice(101) }), /'=' before the end/],
    [JSON.stringify({ data: b64.slice(0, 100) + '\n' + b64.slice(101) }), /invalid base64/],
    [JSON.stringify({ data: Buffer.from('<html>502</html>').toString('base64') }), /magic header missing/],
    [JSON.stringify({ data: '' }), /no data/],
    [JSON.stringify({ data: null }), /no data/],
    [JSON.stringify({ hints: [] }), /no data/],
    [`{"data": "${b64}`, /not JSON/],
    [`{"data": "${b64}",}`, /not JSON/],
    ['', /no data/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(
      () => readPartsListBody(Buffer.from(text)),
      (e: unknown) => e instanceof LogikalProtocolError && reason.test(e.message),
      text.slice(0, 60),
    );
  }
  const big = 'A'.repeat(Math.ceil(1001 / 3) * 4);
  assert.throws(() => readPartsListBody(Buffer.from(JSON.stringify({ data: big })), 1000), /exceeds the cap of 1000 bytes/);
});
