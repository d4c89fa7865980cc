import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../../server/paths';
import {
  assertJpeg,
  assertPng,
  decodeBase64Strict,
  decodedBase64Length,
  decodePartsList,
  MAX_DECODED_BYTES,
  SQLITE_MAGIC,
} from '../../server/logikal/download-checks';
import { LogikalProtocolError } from '../../server/logikal/logikal-errors';
import { backoffDelay, joinUrl, parseRetryAfter } from '../../server/logikal/logikal-http';

function sqliteLike(size = 4096): Buffer {
  const b = Buffer.alloc(size, 0);
  SQLITE_MAGIC.copy(b, 0);
  return b;
}

test('strict base64: accepts canonical text, rejects what Buffer.from would silently accept', () => {
  const raw = Buffer.from('hello, logikal!');
  assert.deepEqual(decodeBase64Strict(raw.toString('base64')), raw);
  const b64 = raw.toString('base64');
  const cases: Array<[string, RegExp]> = [
    [b64.slice(0, -1), /not a multiple of 4/],
    [b64.slice(0, 8) + '\n' + b64.slice(8, -1), /invalid base64/],
    [b64.slice(0, 8) + ' ' + b64.slice(9), /invalid base64/],
    ['ab=c' + b64.slice(4), /'=' before the end/],
    ['aGVs*G8=', /invalid base64/],
    ['aGVsbG8-', /invalid base64/], // base64url alphabet is not accepted
    ['', /empty/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(
      () => decodeBase64Strict(text),
      (e: unknown) => e instanceof LogikalProtocolError && reason.test(e.message),
      text,
    );
  }
});

test('decoded size is computed from the base64 length and capped before decoding', () => {
  assert.equal(decodedBase64Length(Buffer.alloc(10).toString('base64')), 10);
  assert.equal(decodedBase64Length(Buffer.alloc(11).toString('base64')), 11);
  assert.equal(decodedBase64Length(Buffer.alloc(12).toString('base64')), 12);
  const justOver = 'A'.repeat(Math.ceil((MAX_DECODED_BYTES + 1) / 3) * 4);
  assert.throws(() => decodeBase64Strict(justOver), /exceeds the cap of 10485760 bytes/);
  const small = Buffer.alloc(3000).toString('base64');
  assert.throws(() => decodeBase64Strict(small, 2999), /decoded size 3000 bytes exceeds the cap of 2999/);
  assert.equal(decodeBase64Strict(small, 3000).length, 3000);
});

test('parts list: needs data, SQLite magic and a full header', () => {
  const ok = sqliteLike();
  assert.deepEqual(decodePartsList(ok.toString('base64')), ok);
  assert.throws(() => decodePartsList(undefined), /no data/);
  assert.throws(() => decodePartsList(null), /no data/);
  assert.throws(() => decodePartsList(['x']), /an array/);
  assert.throws(() => decodePartsList(Buffer.from('<html>502 Bad Gateway</html>').toString('base64')), /magic header missing/);
  assert.throws(() => decodePartsList(SQLITE_MAGIC.toString('base64')), /truncated SQLite file/);
});

test('PNG: real thumbnails pass; missing IEND, wrong signature and oversize fail', () => {
  const dir = join(fixturesDir(), 'thumbnails');
  const files = readdirSync(dir).filter((f) => f.endsWith('.png'));
  assert.ok(files.length > 10);
  for (const f of files) assertPng(readFileSync(join(dir, f)));
  const png = readFileSync(join(dir, files[0]));
  assert.throws(() => assertPng(png.subarray(0, png.length - 12)), /no IEND/);
  assert.throws(() => assertPng(png.subarray(0, Math.floor(png.length / 2))), /no IEND/);
  assert.throws(() => assertPng(Buffer.from('GIF89a........')), /signature missing/);
  assert.throws(() => assertPng(png, png.length - 1), /exceeds the cap/);
  assert.throws(() => assertJpeg(png), /not a JPEG/);
  assertJpeg(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9]));
});

test('URLs: no double slashes, every segment encoded, dot segments refused', () => {
  assert.equal(
    joinUrl('http://h/MbioeService.svc/api/v3/', ['elevations', 'selected', 'parts-list']),
    'http://h/MbioeService.svc/api/v3/elevations/selected/parts-list',
  );
  assert.equal(joinUrl('http://h/api/v3//', ['a b', 'ü/?#']), 'http://h/api/v3/a%20b/%C3%BC%2F%3F%23');
  assert.equal(joinUrl('http://h/api/v3', ['x'], { width: '300', view: 'Interior' }), 'http://h/api/v3/x?width=300&view=Interior');
  assert.throws(() => joinUrl('http://h/api/v3', ['..']));
  assert.throws(() => joinUrl('http://h/api/v3', ['']));
});

test('backoff is exponential, jittered and capped; Retry-After is capped', () => {
  assert.equal(
    backoffDelay(0, 100, 1000, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(0, 100, 1000, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(3, 100, 1000, () => 1),
    800,
  );
  assert.equal(
    backoffDelay(10, 100, 1000, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(1000, 100, 1000, () => 0.5),
    750,
  );
  assert.equal(parseRetryAfter('2', 5000), 2000);
  assert.equal(parseRetryAfter('999999', 5000), 5000);
  assert.equal(parseRetryAfter(new Date(Date.now() + 3_600_000).toUTCString(), 5000), 5000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', 5000), 0);
  assert.equal(parseRetryAfter('soon', 5000), undefined);
  assert.equal(parseRetryAfter(undefined, 5000), undefined);
});
