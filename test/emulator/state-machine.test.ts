import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Api, DOS22269, DOS22309, DOS22410, NULL_GUID, withEmulator } from './emu-http';

const MAPPING = (id: string): string => `The requested resource '${id}' cannot be set, because it isn't valid in the current mapping.`;
const NOT_FOUND = 'The requested resource could not be selected because it was not found.';

function assertError(
  r: { status: number; json: { message: string; code: number; errors: string[]; hints: unknown[]; warnings: unknown[] } },
  status: number,
  message: string,
): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.deepEqual(r.json, { message, code: status, hints: [], warnings: [], errors: [message] });
}

describe('emulator state machine (strict default)', () => {
  it('walks root → directory chain → project → phase → elevation → parts list', async () => {
    await withEmulator({}, async (_emu, api) => {
      const login = await api.login();
      assert.equal(login.status, 200);
      assert.equal(login.json.data.username, 'odoo');
      assert.match(login.json.data.token, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.deepEqual(login.json.hints, []);

      const roots = await api.call('GET', '/directories');
      assert.deepEqual(roots.json.data, [{ name: 'Demo Odoo', path: 'Demo Odoo' }]);
      assert.deepEqual((await api.select('directories', 'Demo Odoo')).json, { hints: [], warnings: [] });
      const projects = await api.call('GET', '/projects');
      assert.deepEqual(
        projects.json.data.map((p: { name: string }) => p.name),
        ['DOS22309', 'DOS22410', 'DOS22269'],
      );
      assert.deepEqual(Object.keys(projects.json.data[0]), [
        'id',
        'name',
        'createdDate',
        'changedDate',
        'isDeleted',
        'jobNumber',
        'offerNumber',
        'personInCharge',
        'estimated',
      ]);

      const subs = await api.call('GET', '/directories');
      assert.deepEqual(subs.json.data, [{ name: 'Sublevel 1 Testing', path: 'Demo Odoo/Sublevel 1 Testing' }]);
      assert.equal((await api.select('directories', 'Demo Odoo/Sublevel 1 Testing')).status, 200);
      assert.deepEqual((await api.call('GET', '/projects')).json.data, []);
      assert.equal((await api.select('directories', 'Demo Odoo/Sublevel 1 Testing/Sublevel 2 Testing')).status, 200);
      const deep = (await api.call('GET', '/projects')).json.data;
      assert.equal(deep.length, 1);
      assert.equal(deep[0].name, 'Façade "Zuid" – blok B');

      assert.equal((await api.select('projects', deep[0].id)).status, 200);
      assert.equal((await api.call('GET', '/projects/selected')).json.data.name, 'Façade "Zuid" – blok B');
      const phases = (await api.call('GET', '/phases')).json.data;
      assert.deepEqual(phases.map((p: { id: string }) => p.id)[0], NULL_GUID);
      assert.equal((await api.select('phases', phases[1].id)).status, 200);
      const elevations = (await api.call('GET', '/elevations')).json.data;
      assert.equal(elevations[0].name, "Deur 'A' & B");
      assert.equal((await api.select('elevations', elevations[0].id)).status, 200);
      const pl = await api.call('GET', '/elevations/selected/parts-list');
      assert.equal(pl.status, 200);
      assert.equal(Buffer.from(pl.json.data, 'base64').subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
      const price = await api.call('GET', '/elevations/selected/quotation-price');
      assert.match(price.json.data.quotationPrice, /^€ [\d,]+\.\d\d$/);
      assert.equal((await api.call('DELETE', '/auth')).status, 200);
    });
  });

  it('selects the default phase of every project by the null GUID and keeps fixture order', async () => {
    await withEmulator({}, async (_emu, api) => {
      const p1 = await api.toPhase(DOS22309, NULL_GUID);
      assert.deepEqual(
        p1.map((e) => e.name),
        ['P07', 'P06', 'P05', 'P04', 'P03', 'P02', 'P01', 'P10', 'P09', 'P08', 'P17', 'P16', 'P15'],
      );
      for (const [project, first] of [
        [DOS22410, 'R001'],
        [DOS22269, 'D001'],
      ] as const) {
        const list = await new Api(api.base).toPhase(project, NULL_GUID);
        assert.equal(list[0].name, first);
      }
      const d = await new Api(api.base).toPhase(DOS22269, NULL_GUID);
      assert.ok(d.some((e) => e.name === 'R04/C'));
    });
  });

  it('answers 405 with the swagger text for an operation in the wrong state', async () => {
    await withEmulator({}, async (_emu, api) => {
      await api.login();
      assertError(await api.call('GET', '/phases'), 405, 'This operation expects the session to be in a project.');
      assertError(await api.select('phases', NULL_GUID), 405, 'This operation expects the session to be in a project.');
      await api.select('directories', 'Demo Odoo');
      assertError(await api.call('GET', '/elevations'), 405, 'This operation expects the session to be in a phase.');
      // state is checked before the body
      assertError(await api.call('POST', '/elevations/select', 'not json'), 405, 'This operation expects the session to be in a phase.');
      await api.select('projects', DOS22309);
      assertError(await api.call('GET', '/projects'), 405, 'This operation expects the session to be in a directory.');
      assertError(await api.call('GET', '/directories'), 405, 'This operation expects the session to be in a directory.');
      assertError(await api.select('elevations', NULL_GUID), 405, 'This operation expects the session to be in a phase.');
      await api.select('phases', NULL_GUID);
      assertError(
        await api.call('GET', '/elevations/selected/parts-list'),
        405,
        'This operation expects the session to be in an elevation.',
      );
      assertError(await api.call('GET', '/projects/selected'), 405, 'This operation expects the session to be in a project.');
    });
  });

  it('answers 409 for selects that move up or sideways, 404 for unknown ids, 400 for malformed ones', async () => {
    await withEmulator({}, async (_emu, api) => {
      await api.login();
      // root: a project exists, but not in the current mapping
      assertError(await api.select('projects', DOS22309), 409, MAPPING(DOS22309));
      assertError(await api.select('directories', 'Demo Odoo/Sublevel 1 Testing'), 409, MAPPING('Demo Odoo/Sublevel 1 Testing'));
      assertError(await api.select('directories', 'Nowhere'), 404, NOT_FOUND);
      await api.select('directories', 'Demo Odoo');
      assertError(await api.select('directories', 'Demo Odoo'), 409, MAPPING('Demo Odoo'));
      await api.select('directories', 'Demo Odoo/Sublevel 1 Testing');
      assertError(await api.select('directories', 'Demo Odoo'), 409, MAPPING('Demo Odoo'));
      assertError(await api.select('projects', DOS22309), 409, MAPPING(DOS22309));
      assertError(await api.select('projects', '11111111-2222-4333-8444-555555555555'), 404, NOT_FOUND);

      const elevations = await new Api(api.base).toPhase();
      const a = new Api(api.base);
      await a.toPhase();
      // the observed real-server case: phase state → select 'Demo Odoo'
      assertError(await a.select('directories', 'Demo Odoo'), 409, MAPPING('Demo Odoo'));
      assertError(await a.select('projects', DOS22309), 409, MAPPING(DOS22309));
      assertError(await a.select('phases', NULL_GUID), 409, MAPPING(NULL_GUID));
      assertError(await a.select('elevations', '11111111-2222-4333-8444-555555555555'), 404, NOT_FOUND);
      assertError(
        await a.select('elevations', 'not-a-guid'),
        400,
        'The request is in an invalid format or is missing required properties.',
      );
      assertError(
        await a.call('POST', '/elevations/select', '{"identifier":'),
        400,
        'The request is in an invalid format or is missing required properties.',
      );
      assertError(
        await a.call('POST', '/elevations/select', {}),
        400,
        'The request is in an invalid format or is missing required properties.',
      );
      assert.equal((await a.select('elevations', elevations[2].id)).status, 200);
      assertError(await a.select('elevations', elevations[3].id), 409, MAPPING(elevations[3].id));
      assertError(await a.select('elevations', elevations[2].id), 409, MAPPING(elevations[2].id));
      assertError(await a.select('directories', 'Demo Odoo'), 409, MAPPING('Demo Odoo'));
      // still usable in its elevation after the refusals
      assert.equal((await a.call('GET', '/elevations/selected/parts-list')).status, 200);
    });
  });

  it('answers 401 for bad credentials, missing, unknown, logged-out and idle-expired tokens', async () => {
    await withEmulator({ idleExpirySeconds: 0.2 }, async (emu, api) => {
      assertError(await api.login('odoo', 'wrong'), 401, 'Authentication failed. Invalid username or password.');
      assertError(
        await api.call('POST', '/auth', { username: 'odoo' }),
        400,
        'The request is in an invalid format or is missing required properties.',
      );
      assertError(await api.call('GET', '/directories', undefined, undefined), 401, 'Invalid session authentication identifier.');
      assertError(
        await api.call('GET', '/directories', undefined, '11111111-2222-4333-8444-555555555555'),
        401,
        'Invalid session authentication identifier.',
      );
      await api.login();
      assert.equal((await api.call('GET', '/directories')).status, 200);
      await api.call('DELETE', '/auth');
      assertError(await api.call('GET', '/directories'), 401, 'Invalid session authentication identifier.');
      assertError(await api.call('DELETE', '/auth'), 401, 'Invalid session authentication identifier.');
      await api.login();
      await new Promise((r) => setTimeout(r, 350));
      assertError(await api.call('GET', '/directories'), 401, 'Invalid session authentication identifier.');
      const s = emu.stats();
      assert.equal(s.expiredSessions, 1);
      assert.equal(s.failedLogins, 2);
      assert.equal(s.openSessions, 0);
    });
  });

  it('allowSiblingSelect lets one session hop between elevations, phases and directories', async () => {
    await withEmulator({ allowSiblingSelect: true }, async (emu, api) => {
      const els = await api.toPhase();
      for (const e of els.slice(0, 3)) {
        assert.equal((await api.select('elevations', e.id)).status, 200);
        assert.equal((await api.call('GET', '/elevations/selected/parts-list')).status, 200);
      }
      assertError(await api.select('phases', NULL_GUID), 409, MAPPING(NULL_GUID)); // up stays refused
      const b = new Api(api.base);
      await b.login();
      await b.select('directories', 'Demo Odoo');
      await b.select('directories', 'Demo Odoo/Sublevel 1 Testing');
      assert.equal((await b.select('directories', 'Demo Odoo')).status, 200);
      assert.equal((await b.call('GET', '/projects')).json.data.length, 3);
      await b.select('projects', DOS22309);
      await b.select('phases', NULL_GUID);
      const phase2 = emu.fixture.directories[0].projects![0].phases[1].id;
      assert.equal((await b.select('phases', phase2)).status, 200);
      assert.deepEqual(
        (await b.call('GET', '/elevations')).json.data.map((e: { name: string }) => e.name),
        ['P11', 'P12', 'P13', 'P14'],
      );
      assertError(await b.select('phases', '11111111-2222-4333-8444-555555555555'), 404, NOT_FOUND);
    });
  });

  it('getDirectoriesResetsToDirectory lets GET /directories fall back from project state', async () => {
    await withEmulator({ getDirectoriesResetsToDirectory: true }, async (_emu, api) => {
      await api.toPhase();
      const dirs = await api.call('GET', '/directories');
      assert.equal(dirs.status, 200);
      assert.deepEqual(dirs.json.data, [{ name: 'Sublevel 1 Testing', path: 'Demo Odoo/Sublevel 1 Testing' }]);
      assert.equal((await api.call('GET', '/projects')).status, 200);
      assert.equal((await api.select('projects', DOS22410)).status, 200);
    });
  });
});
