import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ElevationGlass } from '../../entities';
import { ApiKeyService } from '../../server/auth/api-key.service';
import { DomainCompiler } from '../../server/odoo/domain-compiler';
import { parseDomain } from '../../server/odoo/domain-parser';
import { MAX_RECORDS } from '../../server/odoo/odoo-model.service';
import type { TestApp } from '../helpers/test-app';
import { INJECTION, OdooJsonRpc, PARTS, PNG, type Seed, seededApp } from './odoo-fixture';

const MODELS = [
  'logikal.directory',
  'logikal.project',
  'logikal.phase',
  'logikal.elevation',
  'logikal.elevation.glass',
  'logikal.sync.run',
];
const EL = 'logikal.elevation';

describe('logikal.* models: methods and Odoo value conventions', () => {
  let t: TestApp;
  let s: Seed;
  let odoo: OdooJsonRpc;

  before(async () => {
    ({ t, s, odoo } = await seededApp());
  });
  after(async () => {
    await t.close();
  });

  it('every method answers on every model', async () => {
    for (const model of MODELS) {
      const fields = await odoo.ok(model, 'fields_get', [], { attributes: ['type', 'string', 'relation'] });
      assert.equal(fields.id.type, 'integer', model);
      const recs = await odoo.ok(model, 'search_read', [[]], { context: { active_test: false } });
      assert.ok(recs.length >= 2, `${model} search_read`);
      for (const r of recs) {
        assert.deepEqual(
          Object.keys(r).sort(),
          Object.keys(fields)
            .filter((f) => fields[f].type !== 'binary')
            .sort(),
          `${model} keys`,
        );
        assert.ok(!Object.values(r).includes(null), `${model}: no null values`);
      }
      const ids = await odoo.ok(model, 'search', [[]], { context: { active_test: false } });
      assert.deepEqual(
        ids,
        recs.map((r: { id: number }) => r.id),
        `${model} search`,
      );
      assert.equal(await odoo.ok(model, 'search_count', [[]], { context: { active_test: false } }), ids.length, `${model} search_count`);
      const read = await odoo.ok(model, 'read', [[ids[1], ids[0]], ['display_name']]);
      assert.deepEqual(
        read.map((r: { id: number }) => r.id),
        [ids[1], ids[0]],
        `${model} read keeps the ids order`,
      );
      const ns = await odoo.ok(model, 'name_search', [read[0].display_name]);
      assert.ok(
        ns.some(([id, name]: [number, string]) => id === ids[1] && name === read[0].display_name),
        `${model} name_search`,
      );
    }
  });

  it('elevation: many2one pairs, false for empty values, UTC datetimes, selections, one2many ids; no binaries unless named', async () => {
    const [r] = await odoo.ok(EL, 'read', [[s.pos1]]);
    assert.deepEqual(r.phase_id, [s.phA, 'Phase A']);
    assert.deepEqual(r.project_id, [s.p1, 'DOS22309']);
    assert.equal(r.display_name, 'Pos_1');
    assert.equal(r.width, 1200);
    assert.equal(r.amount, 2);
    assert.equal(r.version_id, false);
    assert.equal(r.user_description, false);
    assert.equal(r.logikal_changed_at, '2026-03-02 14:05:09');
    assert.equal(r.last_synced_at, false);
    assert.equal(r.parse_status, 'success');
    assert.equal(r.parts_count, 42);
    assert.equal(r.active, true);
    assert.deepEqual(r.glass_ids, [s.glassNamed, s.glassUnnamed]);
    assert.equal('thumbnail' in r, false);
    assert.equal('parts_list' in r, false);
    const [x] = await odoo.ok(EL, 'read', [[s.posX1], ['width', 'parse_error', 'glass_ids', 'thumbnail']]);
    assert.deepEqual(x, { id: s.posX1, width: false, parse_error: 'corrupt', glass_ids: [], thumbnail: false });
  });

  it('binary fields come as base64 when named in fields', async () => {
    const [r] = await odoo.ok(EL, 'search_read', [[['id', '=', s.pos1]], ['thumbnail', 'parts_list', 'name']]);
    assert.deepEqual(Object.keys(r).sort(), ['id', 'name', 'parts_list', 'thumbnail']);
    assert.ok(Buffer.from(r.thumbnail, 'base64').equals(PNG));
    assert.equal(Buffer.from(r.thumbnail, 'base64').subarray(1, 4).toString(), 'PNG');
    assert.ok(Buffer.from(r.parts_list, 'base64').equals(PARTS));
  });

  it("load='' gives bare many2one ids; unknown fields in `fields` are refused", async () => {
    const [r] = await odoo.ok(EL, 'read', [[s.door], ['phase_id', 'project_id']], { load: '' });
    assert.deepEqual(r, { id: s.door, phase_id: s.phDefault1, project_id: s.p1 });
    const bad = await odoo.kw(EL, 'read', [[s.door], ['name', 'nope']]);
    assert.equal(bad.error.data.name, 'builtins.ValueError');
    assert.match(bad.error.data.message, /Invalid field 'nope' on model 'logikal.elevation'/);
  });

  it('other models: directory paths, null-GUID phases, glass names, sync runs', async () => {
    const [sub] = await odoo.ok('logikal.directory', 'read', [[s.dirSub]]);
    assert.deepEqual(sub.parent_id, [s.dirRoot, 'Demo Odoo']);
    assert.equal(sub.display_name, 'Demo Odoo/Sub 1');
    assert.deepEqual(sub.project_ids, [s.p2]);
    const [p1] = await odoo.ok('logikal.project', 'read', [[s.p1]]);
    assert.deepEqual(p1.directory_id, [s.dirRoot, 'Demo Odoo']);
    assert.equal(p1.estimated, true);
    assert.equal(p1.person_in_charge, false);
    assert.equal(p1.logikal_created_at, '2026-01-15 10:30:00');
    assert.deepEqual(p1.phase_ids, [s.phDefault1, s.phA], 'inactive phases hidden');
    const [p1all] = await odoo.ok('logikal.project', 'read', [[s.p1], ['phase_ids', 'elevation_ids']], { context: { active_test: false } });
    assert.deepEqual(p1all.phase_ids, [s.phDefault1, s.phA, s.phOld]);
    assert.equal(p1all.elevation_ids.length, 6);
    const defaults = await odoo.ok('logikal.phase', 'search_read', [
      [['logikal_id', '=', '00000000-0000-0000-0000-000000000000']],
      ['project_id'],
    ]);
    assert.deepEqual(
      defaults.map((d: { project_id: unknown }) => d.project_id),
      [
        [s.p1, 'DOS22309'],
        [s.p2, 'Ünïcode Straße'],
      ],
    );
    const glass = await odoo.ok('logikal.elevation.glass', 'read', [
      [s.glassNamed, s.glassUnnamed],
      ['display_name', 'price', 'elevation_id'],
    ]);
    assert.deepEqual(glass, [
      { id: s.glassNamed, display_name: '4/16/4 Float', price: 12.5, elevation_id: [s.pos1, 'Pos_1'] },
      { id: s.glassUnnamed, display_name: 'G-2', price: false, elevation_id: [s.pos1, 'Pos_1'] },
    ]);
    const runs = await odoo.ok(
      'logikal.sync.run',
      'search_read',
      [[], ['state', 'kind', 'project_id', 'failures', 'message', 'started_at', 'finished_at']],
      { order: 'id' },
    );
    assert.deepEqual(runs[0], {
      id: s.runOk,
      state: 'succeeded',
      kind: 'force_project',
      project_id: [s.p1, 'DOS22309'],
      failures: '[]',
      message: 'ok',
      started_at: '2026-03-02 10:00:00',
      finished_at: '2026-03-02 10:01:30',
    });
    assert.equal(runs[1].project_id, false);
    assert.equal(runs[1].finished_at, false);
    assert.deepEqual(JSON.parse(runs[1].failures), [{ elevation: 'Pos 9', reason: 'parts list corrupt' }]);
  });

  it('read: missing ids are a MissingError, inactive records are readable, an int id works', async () => {
    const r = await odoo.kw(EL, 'read', [[s.pos1, 99999]]);
    assert.equal(r.error.data.name, 'odoo.exceptions.MissingError');
    assert.match(r.error.data.message, /Record does not exist or has been deleted/);
    const [removed] = await odoo.ok(EL, 'read', [s.removed, ['active', 'name']]);
    assert.deepEqual(removed, { id: s.removed, active: false, name: 'Removed' });
  });

  it('order, offset and limit: Odoo syntax, PostgreSQL NULL placement on both databases, limit capped', async () => {
    const names = async (order: string, extra: Record<string, unknown> = {}) =>
      (await odoo.ok(EL, 'search_read', [[], ['name']], { order, ...extra })).map((r: { id: number }) => r.id);
    assert.deepEqual(await names('width desc'), [s.posX1, s.fenster, s.pos1, s.door, s.posLower]);
    assert.deepEqual(await names('width'), [s.posLower, s.door, s.pos1, s.fenster, s.posX1]);
    assert.deepEqual(await names('width desc nulls last'), [s.fenster, s.pos1, s.door, s.posLower, s.posX1]);
    assert.deepEqual(await odoo.ok(EL, 'search', [[]], { order: 'height asc, width DESC' }), [
      s.posX1,
      s.posLower,
      s.pos1,
      s.fenster,
      s.door,
    ]);
    assert.deepEqual(await names('width', { offset: 1, limit: 2 }), [s.door, s.pos1]);
    assert.deepEqual(await odoo.ok(EL, 'search', [[], 1, 2, 'width']), [s.door, s.pos1], 'positional offset, limit, order');
    for (const order of ['nope', 'width sideways', 'thumbnail', 'glass_ids', 'width; DROP TABLE x', '(SELECT 1)']) {
      const r = await odoo.kw(EL, 'search', [[]], { order });
      assert.equal(r.error?.data.name, 'builtins.ValueError', order);
      assert.match(r.error.data.message, /order/, order);
    }
    await t.app.services.db.write((m) =>
      m
        .getRepository(ElevationGlass)
        .insert(Array.from({ length: MAX_RECORDS + 5 }, (_v, i) => ({ elevationId: s.posLower, glassId: `B-${i}`, name: null }))),
    );
    const page = await odoo.ok('logikal.elevation.glass', 'search_read', [[['elevation_id', '=', s.posLower]], ['glass_id']], {
      limit: 1e9,
    });
    assert.equal(page.length, MAX_RECORDS, 'limit is capped');
    assert.equal(
      (await odoo.ok('logikal.elevation.glass', 'search_read', [[['elevation_id', '=', s.posLower]], ['glass_id']])).length,
      MAX_RECORDS,
      'no limit is capped too',
    );
    assert.equal(await odoo.ok('logikal.elevation.glass', 'search_count', [[['elevation_id', '=', s.posLower]]]), MAX_RECORDS + 5);
    assert.equal(await odoo.ok('logikal.elevation.glass', 'search_count', [[['elevation_id', '=', s.posLower]], 10]), 10);
  });

  it('call_kw binding: positional or keyword, "" / 0 / false / null as unset, context popped, Python-style errors', async () => {
    const viaKw = await odoo.ok(EL, 'search_read', [], {
      domain: [['width', '>', 1000]],
      fields: ['name'],
      offset: '',
      limit: 0,
      order: '',
      context: '',
    });
    const positional = await odoo.ok(EL, 'search_read', [[['width', '>', 1000]], ['name'], 0, false, null]);
    assert.deepEqual(viaKw, positional);
    assert.deepEqual(viaKw.map((r: { name: string }) => r.name).sort(), ['Fenster Ärger', 'Pos_1']);
    const twice = await odoo.kw(EL, 'search_read', [[]], { domain: [] });
    assert.equal(twice.error.data.name, 'builtins.TypeError');
    assert.match(twice.error.data.message, /"domain" given twice/);
    const unknown = await odoo.kw(EL, 'search', [[]], { bogus: 1 });
    assert.match(unknown.error.data.message, /unknown param "bogus"/);
    const all = await odoo.ok(EL, 'search', [[]], { context: { active_test: false, lang: 'de_DE', tz: 'Europe/Berlin' } });
    assert.equal(all.length, 7);
  });

  it('fields_get: attributes, allfields; name_search: operator, domain, limit', async () => {
    const none = await odoo.ok('logikal.phase', 'fields_get', [], { attributes: [] });
    assert.deepEqual(none.project_id, {});
    const all = await odoo.ok('logikal.elevation', 'fields_get', [['phase_id', 'thumbnail', 'parse_status', 'nope']]);
    assert.deepEqual(Object.keys(all).sort(), ['parse_status', 'phase_id', 'thumbnail']);
    assert.equal(all.phase_id.relation, 'logikal.phase');
    assert.equal(all.phase_id.type, 'many2one');
    assert.equal(all.thumbnail.type, 'binary');
    assert.equal(all.thumbnail.sortable, false);
    assert.deepEqual(all.parse_status.selection, [
      ['pending', 'Pending'],
      ['success', 'Success'],
      ['failed', 'Failed'],
    ]);
    assert.equal(all.phase_id.readonly, true);
    assert.deepEqual(await odoo.ok(EL, 'name_search', ['pos', [['width', '>', 1000]]]), [[s.pos1, 'Pos_1']]);
    assert.equal((await odoo.ok(EL, 'name_search', ['pos'], { limit: 2 })).length, 2);
    assert.deepEqual(await odoo.ok(EL, 'name_search', [], { name: 'Pos_1', operator: '=' }), [[s.pos1, 'Pos_1']]);
    assert.deepEqual(await odoo.ok('logikal.phase', 'name_search', ['Default'], { args: [['project_id', '=', s.p2]] }), [
      [s.phDefault2, 'Default'],
    ]);
    assert.deepEqual(await odoo.ok(EL, 'name_get', [[s.door]]), [[s.door, INJECTION]]);
  });

  it('unknown model and method, write and private methods, keys, scopes and the database name', async () => {
    const err = async (args: unknown[], name: string, msg: RegExp, model = EL, method = 'search') => {
      const r = await odoo.call('object', 'execute_kw', ['logikal', odoo.uid, odoo.key, model, method, ...args]);
      assert.equal(r.error?.data.name, name, JSON.stringify(r));
      assert.match(r.error.data.message, msg);
      assert.deepEqual(Object.keys(r.error).sort(), ['code', 'data', 'message']);
      assert.equal(r.error.code, 200);
      assert.equal(r.error.message, 'Odoo Server Error');
      assert.deepEqual(r.error.data.arguments, [r.error.data.message]);
      assert.deepEqual(r.error.data.context, {});
      assert.equal(r.error.data.debug, '');
    };
    await err([[[]]], 'odoo.exceptions.UserError', /Object res.partner doesn't exist/, 'res.partner');
    await err(
      [[]],
      'werkzeug.exceptions.NotFound',
      /The method 'frobnicate' does not exist on the model 'logikal.elevation'/,
      EL,
      'frobnicate',
    );
    await err([[{ name: 'x' }]], 'odoo.exceptions.AccessError', /read-only/, EL, 'create');
    await err([[[s.pos1]]], 'odoo.exceptions.AccessError', /read-only/, EL, 'unlink');
    await err([[]], 'odoo.exceptions.AccessError', /Private methods/, EL, '_search');
    await err([[[s.pos1]]], 'werkzeug.exceptions.NotFound', /does not exist on the model 'logikal.elevation'/, EL, 'action_force_sync');
    for (const args of [
      ['logikal', odoo.uid, 'wrong-key'],
      ['logikal', odoo.uid + 1, odoo.key],
      ['other_db', odoo.uid, odoo.key],
    ]) {
      const r = await odoo.call('object', 'execute_kw', [...args, EL, 'search', [[]]]);
      assert.equal(r.error?.data.name, 'odoo.exceptions.AccessDenied', JSON.stringify(args));
    }
    const { key, record } = await new ApiKeyService(t.app.services.db).create('reader', ['read']);
    const reader = new OdooJsonRpc(t, key);
    await reader.login();
    assert.equal(reader.uid, record.id);
    assert.deepEqual(await reader.ids(EL, [['name', '=', 'Pos_1']]), [s.pos1]);
    const denied = await reader.kw('logikal.project', 'action_force_sync', [[s.p1]]);
    assert.equal(denied.error.data.name, 'odoo.exceptions.AccessDenied');
    assert.match(denied.error.data.message, /"sync" scope/);
  });

  it('compiles values into parameters, never into the SQL text', () => {
    const svc = t.app.services.odoo;
    const c = new DomainCompiler(svc.registry, t.app.services.db.dialect, (x) => `"${x}"`);
    const sql = c.compile(
      parseDomain(['|', ['name', '=', INJECTION], ['phase_id.name', 'ilike', "'; DROP TABLE phases; --"]]),
      svc.model(EL),
      'r',
    );
    assert.doesNotMatch(sql, /OR 1=1|DROP/);
    assert.deepEqual(Object.values(c.params), [INJECTION, "%'; DROP TABLE phases; --%"]);
    assert.match(sql, /:d0/);
  });
});
