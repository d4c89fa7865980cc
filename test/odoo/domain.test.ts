import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NULL_GUID, Elevation } from '../../entities';
import type { TestApp } from '../helpers/test-app';
import { INJECTION, OdooJsonRpc, type Seed, seededApp } from './odoo-fixture';

const EL = 'logikal.elevation';

describe('Odoo domains over /jsonrpc (search on logikal.elevation / logikal.project)', () => {
  let t: TestApp;
  let s: Seed;
  let odoo: OdooJsonRpc;
  const ids = (domain: unknown[], model = EL, context?: Record<string, unknown>) => odoo.ids(model, domain, context);
  const sorted = (...xs: number[]) => [...xs].sort((a, b) => a - b);
  const refuse = async (domain: unknown[], pattern: RegExp, model = EL) => {
    const r = await odoo.kw(model, 'search', [domain]);
    assert.ok(r.error, `expected an error for ${JSON.stringify(domain)}`);
    assert.equal(r.error.code, 200);
    assert.equal(r.error.data.name, 'builtins.ValueError');
    assert.match(r.error.data.message, pattern);
  };

  before(async () => {
    ({ t, s, odoo } = await seededApp());
  });
  after(async () => {
    await t.close();
  });

  it('empty domain: every active record; TRUE/FALSE leaves', async () => {
    const all = sorted(s.pos1, s.posX1, s.posLower, s.door, s.fenster);
    assert.deepEqual(await ids([]), all);
    assert.deepEqual(await ids([[1, '=', 1]]), all);
    assert.deepEqual(await ids([[0, '=', 1]]), []);
  });

  it('comparison operators, with NULL never matching a positive comparison', async () => {
    assert.deepEqual(await ids([['width', '=', 1200]]), [s.pos1]);
    assert.deepEqual(await ids([['width', '>', 900]]), sorted(s.pos1, s.fenster));
    assert.deepEqual(await ids([['width', '>=', 900]]), sorted(s.pos1, s.door, s.fenster));
    assert.deepEqual(await ids([['width', '<', 900]]), [s.posLower]);
    assert.deepEqual(await ids([['width', '<=', 900]]), sorted(s.posLower, s.door));
    assert.deepEqual(await ids([['width', '<>', 1200]]), sorted(s.posX1, s.posLower, s.door, s.fenster));
  });

  it('negative operators also match NULL; = false is IS NULL; =? ignores an empty value', async () => {
    assert.deepEqual(await ids([['width', '!=', 1200]]), sorted(s.posX1, s.posLower, s.door, s.fenster));
    assert.deepEqual(await ids([['width', '=', false]]), [s.posX1]);
    assert.deepEqual(await ids([['width', '!=', false]]), sorted(s.pos1, s.posLower, s.door, s.fenster));
    assert.deepEqual(await ids([['system_name', 'not ilike', 'aws']]), sorted(s.posX1, s.door, s.fenster));
    assert.deepEqual(await ids([['system_name', 'not like', 'AWS']]), sorted(s.posX1, s.posLower, s.door, s.fenster));
    assert.deepEqual(await ids([['width', '=?', false]]), sorted(s.pos1, s.posX1, s.posLower, s.door, s.fenster));
    assert.deepEqual(await ids([['width', '=?', 800]]), [s.posLower]);
    // Odoo's Python-truthiness quirks, copied: an empty pattern matches NULL too; != '' does not.
    assert.deepEqual(await ids([['system_name', 'ilike', '']]), sorted(s.pos1, s.posX1, s.posLower, s.door, s.fenster));
    assert.deepEqual(await ids([['system_name', 'not ilike', '']]), sorted(s.posX1, s.door));
    assert.deepEqual(await ids([['user_description', '!=', '']]), [s.door]);
  });

  it('in / not in, with false meaning NULL, and the empty list', async () => {
    assert.deepEqual(await ids([['width', 'in', [800, 900]]]), sorted(s.posLower, s.door));
    assert.deepEqual(await ids([['width', 'in', [800, false]]]), sorted(s.posLower, s.posX1));
    assert.deepEqual(await ids([['width', 'in', []]]), []);
    assert.deepEqual(await ids([['width', 'not in', []]]), sorted(s.pos1, s.posX1, s.posLower, s.door, s.fenster));
    assert.deepEqual(await ids([['width', 'not in', [800]]]), sorted(s.pos1, s.posX1, s.door, s.fenster));
    assert.deepEqual(await ids([['width', 'not in', [800, false]]]), sorted(s.pos1, s.door, s.fenster));
    assert.deepEqual(await ids([['width', '=', [800, 900]]]), sorted(s.posLower, s.door), '= with a list is in');
    assert.deepEqual(await ids([['width', 'in', 800]]), [s.posLower], 'in with a scalar is =');
  });

  it('like is case-sensitive on both databases; ilike is not (Unicode too); _ and % are wildcards, \\ escapes', async () => {
    assert.deepEqual(await ids([['name', 'like', 'Pos']]), sorted(s.pos1, s.posX1));
    assert.deepEqual(await ids([['name', 'ilike', 'pos']]), sorted(s.pos1, s.posX1, s.posLower));
    assert.deepEqual(await ids([['name', 'like', 'Pos_1']]), sorted(s.pos1, s.posX1), '_ is one character');
    assert.deepEqual(await ids([['name', 'like', 'Pos\\_1']]), [s.pos1], 'backslash escapes');
    assert.deepEqual(await ids([['system_name', 'like', 'AWS']]), [s.pos1]);
    assert.deepEqual(await ids([['system_name', 'ilike', 'ärger']]), [s.fenster]);
    assert.deepEqual(await ids([['name', 'ilike', 'FENSTER ä']]), [s.fenster]);
    assert.deepEqual(await ids([['name', 'like', 'fenster']]), []);
    assert.deepEqual(await ids([['user_description', 'like', '100%']]), [s.door]);
  });

  it('=like / =ilike take the value as the whole pattern', async () => {
    assert.deepEqual(await ids([['name', '=like', 'Pos%']]), sorted(s.pos1, s.posX1));
    assert.deepEqual(await ids([['name', '=like', 'pos%']]), [s.posLower]);
    assert.deepEqual(await ids([['name', '=ilike', 'pos%']]), sorted(s.pos1, s.posX1, s.posLower));
    assert.deepEqual(await ids([['name', '=like', 'Pos']]), []);
    assert.deepEqual(await ids(['!', ['name', '=like', 'Pos%']]), sorted(s.posLower, s.door, s.fenster));
  });

  it('implicit &, nested & | !, with ! pushed onto the terms as Odoo does', async () => {
    assert.deepEqual(
      await ids([
        ['width', '>', 700],
        ['height', '=', 1000],
      ]),
      [s.posLower],
    );
    assert.deepEqual(await ids(['|', ['width', '=', 800], ['width', '=', 1500]]), sorted(s.posLower, s.fenster));
    assert.deepEqual(await ids(['!', ['width', '=', 1200]]), sorted(s.posX1, s.posLower, s.door, s.fenster), '!(=) is != and matches NULL');
    assert.deepEqual(await ids(['!', ['width', '>', 1000]]), sorted(s.posLower, s.door), '!(>) is <= and does not match NULL');
    assert.deepEqual(await ids(['!', '|', ['width', '=', 800], ['width', '=', false]]), sorted(s.pos1, s.door, s.fenster));
    assert.deepEqual(await ids(['!', '!', ['width', '=', 800]]), [s.posLower]);
    // (width > 1000 AND height = 2400) OR NOT (name like Pos), AND phase is Phase A
    assert.deepEqual(
      await ids(['|', '&', ['width', '>', 1000], ['height', '=', 2400], '!', ['name', 'like', 'Pos'], ['phase_id', '=', s.phA]]),
      sorted(s.pos1, s.posLower),
    );
    assert.deepEqual(
      await ids(['&', '|', ['name', '=', 'Pos_1'], ['name', '=', 'PosX1'], '|', ['height', '=', 1000], ['height', '=', false]]),
      [s.posX1],
    );
  });

  it('dotted paths through many2one, the null-GUID default phase in two projects, and any', async () => {
    assert.deepEqual(await ids([['phase_id.name', '=', 'Phase A']]), sorted(s.pos1, s.posX1, s.posLower));
    assert.deepEqual(await ids([['phase_id.logikal_id', '=', NULL_GUID]]), sorted(s.door, s.fenster));
    assert.deepEqual(
      await ids([
        ['project_id.name', '=', 'DOS22309'],
        ['phase_id.logikal_id', '=', NULL_GUID],
      ]),
      [s.door],
    );
    assert.deepEqual(await ids([['project_id.directory_id.path', 'ilike', 'sub']]), [s.fenster]);
    assert.deepEqual(await ids([['phase_id', 'any', [['description', 'ilike', 'floor']]]]), sorted(s.pos1, s.posX1, s.posLower));
    assert.deepEqual(await ids([['glass_ids.glass_id', '=', 'G-2']]), [s.pos1], 'one2many path');
    assert.deepEqual(await ids([['phase_ids.name', '=', 'Phase A']], 'logikal.project'), [s.p1]);
    assert.deepEqual(await ids([['directory_id.name', '!=', 'Sub 1']], 'logikal.project'), [s.p1], 'a NULL link never matches a path');
  });

  it('a many2one compared with a string matches by name; with an int by id', async () => {
    assert.deepEqual(await ids([['phase_id', '=', 'Default']]), sorted(s.door, s.fenster));
    assert.deepEqual(await ids([['project_id', 'ilike', 'dos']]), sorted(s.pos1, s.posX1, s.posLower, s.door));
    assert.deepEqual(await ids([['project_id', 'not ilike', 'dos']]), [s.fenster]);
    assert.deepEqual(await ids([['project_id', 'in', ['DOS22309', 'nope']]]), sorted(s.pos1, s.posX1, s.posLower, s.door));
    assert.deepEqual(await ids([['project_id', '=', s.p2]]), [s.fenster]);
    assert.deepEqual(await ids([['directory_id', '=', false]], 'logikal.project'), [s.pLower]);
    assert.deepEqual(
      await ids([['directory_id', '!=', 'Demo Odoo']], 'logikal.project'),
      sorted(s.p2, s.pLower),
      'negative name match includes NULL',
    );
    assert.deepEqual(await ids([['display_name', 'ilike', 'pos_']]), sorted(s.pos1, s.posX1, s.posLower));
  });

  it('booleans (= false also matches NULL) and active_test', async () => {
    const P = 'logikal.project';
    assert.deepEqual(await ids([['estimated', '=', false]], P), sorted(s.p2, s.pLower));
    assert.deepEqual(await ids([['estimated', '!=', false]], P), [s.p1]);
    assert.deepEqual(await ids([['estimated', '=', true]], P), [s.p1]);
    assert.deepEqual(
      await ids([], EL, { active_test: false }),
      sorted(s.pos1, s.posX1, s.posLower, s.door, s.fenster, s.removed, s.oldPhaseEl),
    );
    assert.deepEqual(await ids([['active', '=', false]]), sorted(s.removed, s.oldPhaseEl), 'a domain naming active lifts the default');
    assert.deepEqual(
      await ids([
        ['active', 'in', [true, false]],
        ['phase_id', '=', s.phA],
      ]),
      sorted(s.pos1, s.posX1, s.posLower, s.removed),
    );
    assert.deepEqual(await ids([['project_id', '=', s.p1]], 'logikal.phase'), sorted(s.phDefault1, s.phA));
    assert.deepEqual(await ids([['project_id', '=', s.p1]], 'logikal.phase', { active_test: false }), sorted(s.phDefault1, s.phA, s.phOld));
    assert.deepEqual(await ids([['phase_id', '=', s.phOld]], EL, { active_test: true }), []);
  });

  it('datetimes: full values, and a bare date meaning the start (or the end, for > and <=) of the day', async () => {
    const P = 'logikal.project';
    assert.deepEqual(await ids([['logikal_created_at', '=', '2026-01-15 10:30:00']], P), [s.p1]);
    assert.deepEqual(await ids([['logikal_created_at', '>', '2026-01-15']], P), [s.p2]);
    assert.deepEqual(await ids([['logikal_created_at', '>=', '2026-01-15']], P), sorted(s.p1, s.p2, s.pLower));
    assert.deepEqual(await ids([['logikal_created_at', '<=', '2026-01-15']], P), sorted(s.p1, s.pLower));
    assert.deepEqual(await ids([['logikal_created_at', '<', '2026-01-15 12:00:00']], P), [s.p1]);
    assert.deepEqual(await ids([['logikal_created_at', 'in', ['2026-02-01 00:00:00', '2026-01-15 23:59:59']]], P), sorted(s.p2, s.pLower));
    assert.deepEqual(await ids([['logikal_created_at', '=', false]], P, { active_test: false }), [s.pGone]);
    await refuse([['logikal_created_at', '>', '2026-02-31']], /Invalid value/, P);
  });

  it('binary fields can be tested for presence only', async () => {
    assert.deepEqual(await ids([['thumbnail', '!=', false]]), [s.pos1]);
    assert.deepEqual(
      await ids([
        ['thumbnail', '=', false],
        ['width', '>', 1000],
      ]),
      [s.fenster],
    );
    await refuse([['thumbnail', '=', 'iVBOR']], /Binary field 'thumbnail'/);
  });

  it('injection-shaped values are data, not SQL', async () => {
    assert.deepEqual(await ids([['name', '=', INJECTION]]), [s.door]);
    assert.deepEqual(await ids([['name', 'ilike', "%' OR '1'='1"]]), []);
    assert.deepEqual(await ids([['name', 'in', ["'); DROP TABLE elevations; --", INJECTION]]]), [s.door]);
    assert.deepEqual(await ids([['user_description', '=', "100% wood_grain' --"]]), []);
    assert.deepEqual(await ids([['name', 'like', "' OR 1=1-"]]), [s.door]);
    assert.deepEqual(await ids([['name', 'ilike', '(.*+?^${}|[]/)']]), [], 'regex syntax is literal text');
    await refuse([['name; DROP TABLE elevations', '=', 1]], /Invalid field/);
    await refuse([['name', '= 1 OR 1=1 --', 'x']], /Invalid operator/);
    await refuse([['name', '=', { toString: 'x' }]], /single value/);
    const r = await odoo.kw(EL, 'search', [[]], { order: 'CASE WHEN EXISTS(SELECT 1 FROM api_keys) THEN name END' });
    assert.equal(r.error.data.name, 'builtins.ValueError');
    assert.match(r.error.data.message, /Invalid "order"/);
    assert.equal(await t.app.services.db.reader.getRepository(Elevation).count(), 7, 'the table is intact');
  });

  it('refuses unknown fields, operators, malformed domains and wrong value types, naming the culprit', async () => {
    await refuse([['nope', '=', 1]], /Invalid field 'nope' on model 'logikal.elevation'/);
    await refuse([['phase_id.nope', '=', 1]], /Invalid field 'nope' on model 'logikal.phase'/);
    await refuse([['name.first', '=', 1]], /not relational/);
    await refuse([['name', '~', 'x']], /Invalid operator "~"/);
    await refuse([['name', 'child_of', 1]], /not supported/);
    await refuse(['|', ['name', '=', 'x']], /missing an operand/);
    await refuse(['&&', ['name', '=', 'x']], /Invalid domain element/);
    await refuse([['name', '=']], /expected \[field, operator, value\]/);
    await refuse([['width', '=', 'wide']], /Invalid value "wide" for float field 'width'/);
    await refuse([['width', 'like', '12']], /needs a text field/);
    await refuse([['glass_ids', '=', 1]], /one2many/);
    const r = await odoo.kw(EL, 'search', ['not a list']);
    assert.equal(r.error.data.name, 'builtins.TypeError', 'a non-list domain is a bad param');
  });
});
