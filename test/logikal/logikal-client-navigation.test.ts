import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { configureLogging } from '../../server/logging';
import { startEmulator, type EmulatorFixture, type LogikalEmulator } from '../../emulator/index';
import {
  LogikalError,
  LogikalInvalidArgumentError,
  LogikalNotInMappingError,
  LogikalWrongStateError,
} from '../../server/logikal/logikal-errors';
import { NULL_GUID } from '../../server/logikal/logikal-types';
import { SQLITE_MAGIC } from '../../server/logikal/download-checks';
import { calls, clientFor, demoPhase, DOS22309, DOS22410, FASE1 } from './demo-client';

// The client against the emulator when all goes well: every call of a walk, directory paths, the
// local refusals of a one-way session, the URL prefix. Server errors and faults: logikal-client-faults.test.ts.

configureLogging({ level: 'error', production: false, silent: true });

let emu: LogikalEmulator;
let fixture: EmulatorFixture;
const UNICODE_ROOT = 'Büro Zürich – Ost';
const UNICODE_CHILD = `${UNICODE_ROOT}/Projekte 2024 ✓ "neu"`;
const unicodeProject = randomUUID();

before(async () => {
  const base = await startEmulator({ latencyScale: 0 });
  fixture = base.fixture;
  await base.stop();
  // The demo has unicode only in project/elevation names; add a directory tree with unicode paths.
  const custom = structuredClone(fixture);
  const src = custom.directories[0].projects![0];
  const copy = structuredClone(src);
  copy.id = unicodeProject;
  copy.name = 'Ünïcode project';
  for (const ph of copy.phases)
    for (const e of ph.elevations) {
      e.id = randomUUID();
      delete e.thumbnail;
    }
  custom.directories.push({
    name: UNICODE_ROOT,
    path: UNICODE_ROOT,
    children: [{ name: 'Projekte 2024 ✓ "neu"', path: UNICODE_CHILD, children: [], projects: [copy] }],
    projects: [],
  });
  emu = await startEmulator({ latencyScale: 0, fixture: custom });
});

after(async () => {
  await emu.stop();
});

test('version needs no login', async () => {
  const before = emu.stats().logins;
  const v = await clientFor(emu).version();
  assert.ok(v.componentVersions.some((c) => c.name === 'MbioeService' && /^\d+\./.test(c.version)));
  assert.equal(emu.stats().logins, before);
});

test('every call of a full walk, with positions, null-GUID phase and unsorted elevations', async () => {
  const client = clientFor(emu);
  const out = await client.withSession(async (s) => {
    assert.equal(s.position.level, 'root');
    const roots = await s.listDirectories();
    assert.ok(roots.some((d) => d.name === 'Demo Odoo' && d.path === 'Demo Odoo'));
    await s.selectDirectory('Demo Odoo');
    const children = await s.listDirectories();
    assert.deepEqual(
      children.map((d) => d.path),
      ['Demo Odoo/Sublevel 1 Testing'],
    );
    const projects = await s.listProjects();
    const dos = projects.find((p) => p.name === 'DOS22309');
    assert.equal(dos?.id, DOS22309);
    assert.equal(dos?.personInCharge, 'Nick ');
    assert.equal(typeof dos?.changedDate, 'number');
    await s.selectProject(DOS22309);
    assert.equal((await s.getSelectedProject()).id, DOS22309);
    const phases = await s.listPhases();
    assert.deepEqual(phases.map((p) => p.id).sort(), [NULL_GUID, FASE1].sort());
    await s.selectPhase(NULL_GUID);
    const elevations = await s.listElevations();
    const expected = demoPhase(fixture, NULL_GUID).elevations.map((e) => e.name);
    assert.deepEqual(
      elevations.map((e) => e.name),
      expected,
    );
    assert.notDeepEqual(
      elevations.map((e) => e.name),
      [...expected].sort(),
    );
    const thumb = await s.getThumbnail(elevations[0].id);
    assert.equal(thumb.subarray(1, 4).toString('latin1'), 'PNG');
    const exterior = await s.getThumbnail(elevations[1].id, { view: 'Exterior', width: 120, height: 80, withdimensions: false });
    assert.ok(exterior.length > 0);
    await s.selectElevation(elevations[0].id);
    assert.deepEqual(s.position, {
      level: 'elevation',
      directory: 'Demo Odoo',
      projectId: DOS22309,
      phaseId: NULL_GUID,
      elevationId: elevations[0].id,
    });
    const parts = await s.getPartsList();
    assert.ok(parts.subarray(0, 16).equals(SQLITE_MAGIC));
    const price = await s.getQuotationPrice();
    assert.match(price.quotationPrice ?? '', /\d/);
    return elevations.length;
  });
  assert.equal(out, 13);
  const st = client.stats();
  assert.equal(st.logins, 1);
  assert.equal(st.logouts, 1);
  assert.equal(st.open, 0);
});

test('walk selects each cumulative directory prefix, then project and phase (non-default phase)', async () => {
  const before = calls(emu, 'POST /directories/select');
  const client = clientFor(emu);
  const deep = await client.withPath({ directory: 'Demo Odoo/Sublevel 1 Testing/Sublevel 2 Testing' }, (s) => s.listProjects());
  assert.equal(calls(emu, 'POST /directories/select') - before, 3);
  assert.ok(deep.some((p) => p.name === 'Façade "Zuid" – blok B'));
  const names = await client.withPath({ directory: 'Demo Odoo', projectId: DOS22309, phaseId: FASE1 }, async (s) =>
    (await s.listElevations()).map((e) => e.name),
  );
  assert.deepEqual(
    names,
    demoPhase(fixture, FASE1).elevations.map((e) => e.name),
  );
});

test('directory paths with spaces, quotes and unicode (string and segment forms)', async () => {
  const client = clientFor(emu);
  const roots = await client.withSession((s) => s.listDirectories());
  assert.ok(roots.some((d) => d.path === UNICODE_ROOT));
  const viaString = await client.withPath({ directory: UNICODE_CHILD }, (s) => s.listProjects());
  assert.deepEqual(
    viaString.map((p) => p.id),
    [unicodeProject],
  );
  const viaSegments = await client.withPath(
    { directory: [UNICODE_ROOT, 'Projekte 2024 ✓ "neu"'], projectId: unicodeProject, phaseId: NULL_GUID },
    async (s) => (await s.listElevations()).length,
  );
  assert.ok(viaSegments > 0);
});

test('local refusals: no going up or sideways, no wrong-level calls, nothing sent', async () => {
  const client = clientFor(emu);
  await client.withPath({ directory: 'Demo Odoo', projectId: DOS22309, phaseId: NULL_GUID }, async (s) => {
    const elevations = await s.listElevations();
    const sent = emu.stats().callsByEndpoint;
    const refusals: Array<[() => Promise<unknown>, new (...a: never[]) => LogikalError]> = [
      [() => s.selectDirectory('Demo Odoo'), LogikalNotInMappingError],
      [() => s.selectProject(DOS22410), LogikalNotInMappingError],
      [() => s.selectPhase(FASE1), LogikalNotInMappingError],
      [() => s.listProjects(), LogikalWrongStateError],
      [() => s.getPartsList(), LogikalWrongStateError],
      [() => s.walk({ directory: 'Demo Odoo', projectId: DOS22410 }), LogikalNotInMappingError],
      [() => s.walk({ directory: 'Demo Odoo/Sublevel 1 Testing' }), LogikalNotInMappingError],
    ];
    for (const [fn, cls] of refusals) await assert.rejects(fn(), (e: unknown) => e instanceof cls && e.local);
    await s.selectElevation(elevations[0].id);
    await assert.rejects(s.selectElevation(elevations[1].id), LogikalNotInMappingError);
    await assert.rejects(s.selectElevation(elevations[0].id), LogikalNotInMappingError);
    await assert.rejects(s.listElevations(), LogikalWrongStateError);
    const now = emu.stats().callsByEndpoint;
    assert.equal(now['POST /directories/select'], sent['POST /directories/select']);
    assert.equal(now['POST /projects/select'], sent['POST /projects/select']);
    assert.equal(now['POST /elevations/select'], (sent['POST /elevations/select'] ?? 0) + 1);
    // Continuing a walk from a prefix of the target is fine and sends only the missing select.
    await s.walk({ directory: 'Demo Odoo', projectId: DOS22309, phaseId: NULL_GUID, elevationId: elevations[0].id });
  });
  await client.withSession(async (s) => {
    await assert.rejects(
      s.selectDirectory('Demo Odoo/Sublevel 1 Testing'),
      (e: unknown) => e instanceof LogikalNotInMappingError && e.local,
    );
    await s.selectDirectory('Demo Odoo');
    await assert.rejects(s.selectDirectory('Demo Odoo/Sublevel 1 Testing/Sublevel 2 Testing'), LogikalNotInMappingError);
    await s.selectDirectory('Demo Odoo/Sublevel 1 Testing');
    await assert.rejects(s.selectDirectory('Demo Odoo'), LogikalNotInMappingError);
    await assert.rejects(s.selectDirectory('Demo Odoo/Sublevel 1 Testing'), LogikalNotInMappingError);
    await assert.rejects(s.selectPhase(NULL_GUID), LogikalWrongStateError);
    await assert.rejects(s.selectProject('../../auth'), LogikalInvalidArgumentError);
    await assert.rejects(s.walk({ directory: 'Demo Odoo', phaseId: NULL_GUID }), LogikalInvalidArgumentError);
  });
  await client.withPath({ directory: 'Demo Odoo', projectId: DOS22309, phaseId: NULL_GUID }, async (s) => {
    await assert.rejects(s.getThumbnail('not-a-guid/../x'), LogikalInvalidArgumentError);
  });
  assert.equal(emu.stats().openSessions, 0);
});

test('custom prefix /MbioeService.svc/api/v3 and a trailing slash in the base URL', async () => {
  const svc = await startEmulator({ latencyScale: 0, prefix: '/MbioeService.svc/api/v3' });
  try {
    assert.match(svc.url, /\/MbioeService\.svc\/api\/v3$/);
    const client = clientFor(svc, { baseUrl: svc.url + '/' });
    assert.ok((await client.version()).componentVersions.length > 0);
    const n = await client.withPath(
      { directory: 'Demo Odoo', projectId: DOS22309, phaseId: NULL_GUID },
      async (s) => (await s.listElevations()).length,
    );
    assert.equal(n, 13);
    assert.equal(svc.stats().callsByEndpoint.UNKNOWN ?? 0, 0);
    assert.equal(svc.stats().logouts, 1);
  } finally {
    await svc.stop();
  }
});
