import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { FindManyOptions } from 'typeorm';
import { Elevation, StoredFile } from '../../entities';
import { MAX_LIKE_PATTERN_LENGTH } from '../../server/odoo/domain-compiler';
import { BOOTSTRAP_KEY, type TestApp } from '../helpers/test-app';
import { json2, OdooJsonRpc, type Seed, seededApp, xmlCall } from './odoo-fixture';

const EL = 'logikal.elevation';
/** Small enough that a few 200 KB parts lists overflow it, large enough for every ordinary answer. */
const RESPONSE_MAX_BYTES = 1024 * 1024;
const PART_BYTES = 200 * 1024;
const BIG = 8;

describe('Odoo read limits: like/ilike pattern length, RESPONSE_MAX_BYTES refused before anything large is built', () => {
  let t: TestApp;
  let s: Seed;
  let odoo: OdooJsonRpc;
  /** Stored-file content reads since the last reset (the spy below). */
  let contentReads = 0;

  before(async () => {
    ({ t, s, odoo } = await seededApp({ RESPONSE_MAX_BYTES: String(RESPONSE_MAX_BYTES) }));
    // Eight elevations, each with its own 200 KB parts list: 1.6 MB, 2.1 MB as base64.
    await t.app.services.db.write(async (m) => {
      const base = await m.getRepository(Elevation).findOneByOrFail({ id: s.pos1 });
      for (let i = 0; i < BIG; i++) {
        const content = Buffer.alloc(PART_BYTES, 65 + i);
        const sha256 = createHash('sha256').update(content).digest('hex');
        const file = await m.getRepository(StoredFile).save({ sha256, size: content.length, content, createdAt: new Date() });
        const { id: _id, ...rest } = base;
        await m.getRepository(Elevation).save({
          ...rest,
          logikalId: `b1000000-0000-4000-8000-00000000000${i}`,
          name: `Big ${i}`,
          partsListFileId: file.id,
          partsListSha256: sha256,
          partsListSize: content.length,
        });
      }
    });
    // The service reads file contents through this repository: count the reads that fetch content.
    const repo = t.app.services.db.reader.getRepository(StoredFile);
    const find = repo.find.bind(repo);
    repo.find = (opts?: FindManyOptions<StoredFile>) => {
      if (opts?.select && (opts.select as Record<string, unknown>).content) contentReads++;
      return find(opts);
    };
  });
  after(async () => {
    await t.close();
  });

  const tooLong = 'x'.repeat(MAX_LIKE_PATTERN_LENGTH + 1);
  const longest = 'Fenster' + '%'.repeat(MAX_LIKE_PATTERN_LENGTH - 7);

  it('a like/ilike value over 1,000 characters is a ValueError naming the limit; 1,000 still matches', async () => {
    for (const op of ['like', 'ilike', 'not ilike', '=like', '=ilike']) {
      const r = await odoo.kw(EL, 'search', [[['name', op, tooLong]]]);
      assert.equal(r.error?.data.name, 'builtins.ValueError', op);
      assert.match(r.error.data.message, /at most 1000 characters, got 1001/, op);
    }
    assert.deepEqual(await odoo.ids(EL, [['name', '=like', longest]]), [s.fenster]);
    // Counted in characters: 1,000 emoji are 2,000 UTF-16 units and still allowed.
    assert.deepEqual(await odoo.ids(EL, [['name', 'ilike', '😀'.repeat(MAX_LIKE_PATTERN_LENGTH)]]), []);
    const viaName = await odoo.kw(EL, 'name_search', [tooLong]);
    assert.match(viaName.error?.data.message, /at most 1000 characters/);
    const viaPath = await odoo.kw(EL, 'search', [[['project_id.name', 'ilike', tooLong]]]);
    assert.match(viaPath.error?.data.message, /at most 1000 characters/);
  });

  it('the same refusal on /xmlrpc/2 and /json/2', async () => {
    await assert.rejects(
      xmlCall(t.url, 'object', 'execute_kw', ['logikal', odoo.uid, BOOTSTRAP_KEY, EL, 'search', [[['name', 'ilike', tooLong]]]]),
      (err: { faultString?: string }) => /^ValueError: .*at most 1000 characters/.test(err.faultString ?? ''),
    );
    const r = await json2(t.url, EL, 'search', { domain: [['name', 'ilike', tooLong]] });
    assert.equal(r.status, 400);
    assert.equal(r.body.name, 'builtins.ValueError');
    assert.match(r.body.message, /at most 1000 characters/);
  });

  const bigDomain = [['name', '=like', 'Big %']];

  it('one call whose binary fields would exceed RESPONSE_MAX_BYTES is refused before any file is read', async () => {
    contentReads = 0;
    const r = await odoo.kw(EL, 'search_read', [bigDomain], { fields: ['name', 'parts_list'] });
    assert.equal(r.error?.data.name, 'odoo.exceptions.UserError');
    assert.match(r.error.data.message, /exceed RESPONSE_MAX_BYTES \(1048576 bytes/);
    assert.equal(contentReads, 0, 'no file content read');
    const ids = await odoo.ids(EL, bigDomain);
    const read = await odoo.kw(EL, 'read', [ids, ['parts_list']]);
    assert.match(read.error?.data.message, /RESPONSE_MAX_BYTES/);
    assert.equal(contentReads, 0, 'read() refused before reading too');
    // A page that fits is served whole.
    const page = await odoo.ok(EL, 'search_read', [bigDomain], { fields: ['parts_list'], limit: 2, order: 'name' });
    assert.deepEqual(
      page.map((p: { parts_list: string }) => Buffer.from(p.parts_list, 'base64').length),
      [PART_BYTES, PART_BYTES],
    );
  });

  it('a batch shares one budget: the calls that would take the reply past it are refused, the reply stays within it', async () => {
    // Three pages of two parts lists: 0.53 MB each as base64, 1.6 MB together.
    const call = (id: number, offset: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'call',
      params: {
        service: 'object',
        method: 'execute_kw',
        args: [
          'logikal',
          odoo.uid,
          BOOTSTRAP_KEY,
          EL,
          'search_read',
          [bigDomain],
          { fields: ['parts_list'], limit: 2, offset, order: 'name' },
        ],
      },
    });
    const res = await fetch(`${t.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([call(1, 0), call(2, 2), call(3, 4)]),
    });
    const text = await res.text();
    const replies = JSON.parse(text) as Array<{ id: number; result?: unknown[]; error?: { data: { message: string } } }>;
    assert.equal(replies.length, 3);
    const refused = replies.filter((r) => r.error);
    assert.ok(refused.length >= 1, 'at least one call refused');
    for (const r of refused) assert.match(r.error!.data.message, /RESPONSE_MAX_BYTES/);
    assert.ok(
      replies.some((r) => r.result?.length === 2),
      'the calls that fit are answered',
    );
    assert.ok(Buffer.byteLength(text) <= RESPONSE_MAX_BYTES, `reply of ${Buffer.byteLength(text)} bytes`);
    // Each request has its own budget: the same page alone is fine afterwards.
    assert.equal((await odoo.ok(EL, 'search_read', [bigDomain], { fields: ['parts_list'], limit: 2 })).length, 2);
  });

  it('the other wires refuse alike: /xmlrpc/2 fault, /json/2 status 422', async () => {
    await assert.rejects(
      xmlCall(t.url, 'object', 'execute_kw', [
        'logikal',
        odoo.uid,
        BOOTSTRAP_KEY,
        EL,
        'search_read',
        [bigDomain],
        { fields: ['parts_list'] },
      ]),
      (err: { faultString?: string }) => (err.faultString ?? '').includes('RESPONSE_MAX_BYTES'),
    );
    const r = await json2(t.url, EL, 'search_read', { domain: bigDomain, fields: ['parts_list'] });
    assert.equal(r.status, 422);
    assert.equal(r.body.name, 'odoo.exceptions.UserError');
    assert.match(r.body.message, /RESPONSE_MAX_BYTES/);
  });
});
