import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTSTRAP_KEY, type TestApp } from '../helpers/test-app';
import { json2, OdooJsonRpc, PNG, type Seed, seededApp, xmlCall } from './odoo-fixture';

const EL = 'logikal.elevation';

describe('Odoo wires: /jsonrpc common + object, /xmlrpc/2, /json/2', () => {
  let t: TestApp;
  let s: Seed;
  let odoo: OdooJsonRpc;

  before(async () => {
    ({ t, s, odoo } = await seededApp());
  });
  after(async () => {
    await t.close();
  });

  it('/jsonrpc common: version, login and authenticate (false for a bad key, not an error)', async () => {
    const v = await odoo.call('common', 'version', []);
    assert.equal(v.result.protocol_version, 1);
    assert.equal(v.result.server_version_info[0], 17);
    assert.equal((await odoo.call('common', 'authenticate', ['logikal', 'admin', BOOTSTRAP_KEY, {}])).result, odoo.uid);
    assert.deepEqual(await odoo.call('common', 'login', ['logikal', 'admin', 'wrong']), { jsonrpc: '2.0', id: 1, result: false });
    assert.equal((await odoo.call('common', 'authenticate', ['logikal', 'admin', '', {}])).result, false);
    const db = await odoo.call('common', 'login', ['nope', 'admin', BOOTSTRAP_KEY]);
    assert.equal(db.error.data.name, 'odoo.exceptions.AccessDenied');
  });

  it('/jsonrpc object.execute (positional) and "id": null answered like Odoo', async () => {
    const r = await odoo.call('object', 'execute', [
      'logikal',
      odoo.uid,
      BOOTSTRAP_KEY,
      EL,
      'search_read',
      [['name', '=', 'Pos_1']],
      ['name', 'phase_id'],
    ]);
    assert.deepEqual(r.result, [{ id: s.pos1, name: 'Pos_1', phase_id: [s.phA, 'Phase A'] }]);
    const nullId = await t.post({
      jsonrpc: '2.0',
      method: 'call',
      params: { service: 'object', method: 'execute_kw', args: ['logikal', odoo.uid, BOOTSTRAP_KEY, EL, 'search_count', [[]]] },
      id: null,
    });
    assert.equal(nullId.status, 200);
    assert.deepEqual(nullId.body, { jsonrpc: '2.0', id: null, result: 5 });
  });

  it('/xmlrpc/2: authenticate, execute_kw search_read with a domain as odoo-await sends it, read a thumbnail', async () => {
    assert.equal(await xmlCall(t.url, 'common', 'authenticate', ['logikal', 'admin', BOOTSTRAP_KEY, {}]), odoo.uid);
    assert.equal(await xmlCall(t.url, 'common', 'authenticate', ['logikal', 'admin', 'bad-key', {}]), false);
    assert.equal((await xmlCall(t.url, 'common', 'version', [])).server_serie, '17.0');
    // odoo-await's searchRead with partial options sends "" for the missing ones.
    const recs = await xmlCall(t.url, 'object', 'execute_kw', [
      'logikal',
      odoo.uid,
      BOOTSTRAP_KEY,
      EL,
      'search_read',
      [
        [
          ['phase_id.name', '=', 'Phase A'],
          ['width', '!=', false],
        ],
      ],
      { fields: ['name', 'width', 'project_id', 'version_id'], offset: '', limit: 5, order: '', context: '' },
    ]);
    assert.deepEqual(recs, [
      { id: s.pos1, name: 'Pos_1', width: 1200, project_id: [s.p1, 'DOS22309'], version_id: false },
      { id: s.posLower, name: 'pos 2 lower', width: 800, project_id: [s.p1, 'DOS22309'], version_id: false },
    ]);
    const [r] = await xmlCall(t.url, 'object', 'execute_kw', [
      'logikal',
      odoo.uid,
      BOOTSTRAP_KEY,
      EL,
      'read',
      [[s.pos1]],
      { fields: ['thumbnail'] },
    ]);
    assert.ok(Buffer.from(r.thumbnail, 'base64').equals(PNG));
    const count = await xmlCall(t.url, 'object', 'execute', [
      'logikal',
      String(odoo.uid),
      BOOTSTRAP_KEY,
      EL,
      'search_count',
      [['active', '=', false]],
    ]);
    assert.equal(count, 2, 'object.execute; a numeric-string uid is accepted like Odoo');
  });

  it("/xmlrpc/2 faults carry Odoo's codes: 3 access denied, 4 access error, 2 user error, 1 application error", async () => {
    const fault = async (service: string, method: string, params: unknown[]) => {
      try {
        await xmlCall(t.url, service, method, params);
      } catch (err) {
        return err as { faultCode: number; faultString: string };
      }
      assert.fail('expected a fault');
    };
    const ex = (model: string, method: string, args: unknown[], kw: object = {}, key = BOOTSTRAP_KEY) =>
      fault('object', 'execute_kw', ['logikal', odoo.uid, key, model, method, args, kw]);
    assert.equal((await ex(EL, 'search', [[]], {}, 'wrong'))?.faultCode, 3);
    assert.equal((await ex(EL, 'write', [[s.pos1], { name: 'x' }]))?.faultCode, 4);
    const missing = await ex(EL, 'read', [[987654]]);
    assert.equal(missing?.faultCode, 2);
    assert.match(missing.faultString, /Record does not exist/);
    const bad = await ex(EL, 'search', [[['nope', '=', 1]]]);
    assert.equal(bad?.faultCode, 1);
    assert.match(bad.faultString, /^ValueError: Invalid field 'nope'/);
    assert.equal((await ex('res.partner', 'search', [[]]))?.faultCode, 2);
  });

  it('/xmlrpc/2 refuses malformed XML, unknown services and oversized bodies before parsing', async () => {
    const post = (path: string, body: string | Buffer) =>
      fetch(`${t.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body });
    const junk = await post('/xmlrpc/2/object', '<methodCall><methodName>execute_kw</methodName><params><param><value><int>x</int>');
    assert.equal(junk.status, 200);
    assert.match(await junk.text(), /<fault>[\s\S]*<int>1<\/int>[\s\S]*Invalid XML-RPC request/);
    assert.equal((await post('/xmlrpc/2/db', '<methodCall/>')).status, 404);
    const big = await post('/xmlrpc/2/object', Buffer.alloc(2 * 1024 * 1024, 0x20));
    assert.equal(big.status, 413);
  });

  it('/json/2: bearer key, named args plus ids and context, bare results', async () => {
    const sr = await json2(t.url, EL, 'search_read', {
      domain: [['project_id.name', '=', 'DOS22309']],
      fields: ['name'],
      order: 'width desc',
      limit: 2,
    });
    assert.equal(sr.status, 200);
    assert.deepEqual(sr.body, [
      { id: s.posX1, name: 'PosX1' },
      { id: s.pos1, name: 'Pos_1' },
    ]);
    const read = await json2(t.url, EL, 'read', { ids: [s.pos1], fields: ['thumbnail', 'phase_id'], context: { lang: 'en_US' } });
    assert.deepEqual(read.body[0].phase_id, [s.phA, 'Phase A']);
    assert.ok(Buffer.from(read.body[0].thumbnail, 'base64').equals(PNG));
    const all = await json2(t.url, EL, 'search_count', { domain: [], context: { active_test: false } });
    assert.deepEqual(all, { status: 200, body: 7 });
    const fg = await json2(t.url, 'logikal.sync.run', 'fields_get', { attributes: ['type'] });
    assert.deepEqual(fg.body.state, { type: 'selection' });
    const db = await json2(t.url, EL, 'search_count', {}, BOOTSTRAP_KEY, { 'X-Odoo-Database': 'logikal' });
    assert.deepEqual(db.body, 5);
  });

  it('/json/2 errors: an HTTP status and {name, message, arguments, context, debug}', async () => {
    const noKey = await json2(t.url, EL, 'search', {}, null);
    assert.equal(noKey.status, 401);
    assert.deepEqual(Object.keys(noKey.body).sort(), ['arguments', 'context', 'debug', 'message', 'name']);
    assert.equal(noKey.body.name, 'odoo.exceptions.AccessDenied');
    assert.equal((await json2(t.url, EL, 'search', {}, 'wrong')).status, 401);
    assert.equal((await json2(t.url, EL, 'search', {}, BOOTSTRAP_KEY, { 'X-Odoo-Database': 'other' })).status, 401);
    const field = await json2(t.url, EL, 'search', { domain: [['nope', '=', 1]] });
    assert.equal(field.status, 400);
    assert.equal(field.body.name, 'builtins.ValueError');
    assert.equal((await json2(t.url, EL, 'frobnicate', {})).status, 404);
    assert.equal((await json2(t.url, EL, 'unlink', { ids: [s.pos1] })).status, 403);
    assert.equal((await json2(t.url, EL, 'read', { ids: [424242] })).status, 404);
    assert.equal((await json2(t.url, 'res.partner', 'search', {})).status, 422);
    assert.equal((await json2(t.url, EL, 'search', '{nope')).status, 400);
    assert.equal((await json2(t.url, EL, 'search', [1, 2])).status, 400);
    const bad = await json2(t.url, EL, 'search', { domian: [] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /unknown param "domian"/);
  });
});
