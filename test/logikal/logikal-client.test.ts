import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { configureLogging } from '../../server/logging';
import { startEmulator, type EmulatorFixture, type LogikalEmulator } from '../../emulator/index';
import { LogikalClient } from '../../server/logikal/logikal-client';
import type { LogikalClientOptions } from '../../server/logikal/logikal-client';
import {
  LogikalAuthFailedError,
  LogikalCircuitOpenError,
  LogikalError,
  LogikalInvalidArgumentError,
  LogikalLicenceExhaustedError,
  LogikalNotFoundError,
  LogikalNotInMappingError,
  LogikalProtocolError,
  LogikalServerError,
  LogikalSessionLostError,
  LogikalTimeoutError,
  LogikalWrongStateError,
} from '../../server/logikal/logikal-errors';
import { LogikalHttp, parseJsonBody } from '../../server/logikal/logikal-http';
import { LogikalPolicy } from '../../server/logikal/logikal-policy';
import { NULL_GUID, type LogikalPath } from '../../server/logikal/logikal-types';
import { SQLITE_MAGIC } from '../../server/logikal/download-checks';

configureLogging({ level: 'error', production: false, silent: true });

const DOS22309 = '5ddb1393-56eb-4280-9f7e-3c3aec51483c';
const DOS22410 = '15782e4d-a69c-4ce5-9c17-d3060a039b2d';
const FASE1 = '00303b10-c1b9-4f1f-ae5f-a297f89ccecd';
const PASSWORD = 'logikal-demo';

let emu: LogikalEmulator;
let fixture: EmulatorFixture;
const UNICODE_ROOT = 'Büro Zürich – Ost';
const UNICODE_CHILD = `${UNICODE_ROOT}/Projekte 2024 ✓ "neu"`;
const unicodeProject = randomUUID();

function clientFor(e: LogikalEmulator, o: Partial<LogikalClientOptions> = {}): LogikalClient {
  return new LogikalClient({
    baseUrl: e.url,
    username: 'odoo',
    password: PASSWORD,
    maxSessions: 4,
    callTimeoutMs: 2000,
    backoffBaseMs: 5,
    backoffMaxMs: 40,
    ...o,
  });
}

function calls(e: LogikalEmulator, key: string): number {
  return e.stats().callsByEndpoint[key] ?? 0;
}

function demoPhase(phaseId: string): { elevations: Array<{ id: string; name: string }> } {
  const dos = fixture.directories[0].projects!.find((p) => p.id === DOS22309)!;
  return dos.phases.find((p) => p.id === phaseId)!;
}

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
    const expected = demoPhase(NULL_GUID).elevations.map((e) => e.name);
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
    demoPhase(FASE1).elevations.map((e) => e.name),
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

test('401 on login: AuthFailed, never retried', async () => {
  const before = emu.stats().failedLogins;
  const client = clientFor(emu, { password: 'wrong-password' });
  await assert.rejects(
    client.withSession(async () => 1),
    (e: unknown) => e instanceof LogikalAuthFailedError && e.status === 401 && !e.message.includes('wrong-password'),
  );
  assert.equal(emu.stats().failedLogins - before, 1);
  assert.equal(client.stats().logins, 0);
});

/** A raw transport with its own login: lets a test provoke answers the session would refuse locally. */
async function rawSession(): Promise<LogikalHttp> {
  const policy = new LogikalPolicy({ retries: 0, backoffBaseMs: 1, backoffMaxMs: 2 });
  const http = new LogikalHttp({ baseUrl: emu.url, callTimeoutMs: 2000, downloadTimeoutMs: 2000, policy });
  const res = await http.call({
    method: 'POST',
    segments: ['auth'],
    isLogin: true,
    body: { username: 'odoo', password: PASSWORD, erp: true },
  });
  http.token = (parseJsonBody(res, 'login') as { data: { token: string } }).data.token;
  return http;
}

test('server answers are classified: 401 unknown token, 405, 409 mapping, 404', async () => {
  const http = await rawSession();
  const token = http.token!;
  try {
    await http.call({ method: 'POST', segments: ['directories', 'select'], body: { identifier: 'Demo Odoo' } });
    await assert.rejects(
      http.call({ method: 'POST', segments: ['projects', 'select'], body: { identifier: randomUUID() } }),
      (e: unknown) => e instanceof LogikalNotFoundError && e.status === 404 && !e.local,
    );
    await http.call({ method: 'POST', segments: ['projects', 'select'], body: { identifier: DOS22309 } });
    await assert.rejects(
      http.call({ method: 'GET', segments: ['projects'] }),
      (e: unknown) =>
        e instanceof LogikalWrongStateError && e.status === 405 && e.message.includes('expects the session to be in a directory'),
    );
    await assert.rejects(
      http.call({ method: 'POST', segments: ['directories', 'select'], body: { identifier: 'Demo Odoo' } }),
      (e: unknown) => e instanceof LogikalNotInMappingError && e.status === 409 && e.message.includes("'Demo Odoo'"),
    );
    http.token = randomUUID();
    await assert.rejects(
      http.call({ method: 'GET', segments: ['phases'] }),
      (e: unknown) => e instanceof LogikalSessionLostError && e.status === 401 && !e.message.includes(http.token!),
    );
  } finally {
    http.token = token;
    await http.call({ method: 'DELETE', segments: ['auth'] });
  }
});

test('session lost mid-unit (server forgot the token): withPath replays once on a fresh session', async () => {
  const client = clientFor(emu);
  let runs = 0;
  const n = await client.withPath({ directory: 'Demo Odoo', projectId: DOS22309, phaseId: NULL_GUID }, async (s) => {
    runs++;
    if (runs === 1) emu.dropAllSessions();
    return (await s.listElevations()).length;
  });
  assert.equal(n, 13);
  assert.equal(runs, 2);
  assert.equal(client.stats().logins, 2);
  // Lost twice in a row: the second loss is not replayed again.
  runs = 0;
  await assert.rejects(
    client.withPath({ directory: 'Demo Odoo' }, async (s) => {
      runs++;
      emu.dropAllSessions();
      return s.listProjects();
    }),
    LogikalSessionLostError,
  );
  assert.equal(runs, 2);
  assert.equal(client.stats().open, 0);
});

test('licence exhausted on login: typed error after bounded, backed-off attempts', async () => {
  const small = await startEmulator({ latencyScale: 0, maxSessions: 1 });
  try {
    const holder = clientFor(small);
    const lease = await holder.acquire();
    const client = clientFor(small, { licenceAttempts: 3 });
    const t0 = Date.now();
    await assert.rejects(
      client.withSession(async () => 1),
      (e: unknown) => e instanceof LogikalLicenceExhaustedError && e.status === 403 && e.message.includes('licence limit of 1'),
    );
    assert.ok(Date.now() - t0 >= 5, 'backed off between attempts');
    assert.equal(small.stats().refusedLogins, 3);
    assert.equal(client.stats().refusedLogins, 3);
    await lease.release();
    assert.equal(small.stats().openSessions, 0);
  } finally {
    await small.stop();
  }
});

test('5xx: GETs retried in place; selects are not, the unit is replayed on a fresh session', async () => {
  const client = clientFor(emu, { retries: 2 });
  emu.setFaults({
    script: [
      { endpoint: 'GET /projects', kind: 'serverError' },
      { endpoint: 'GET /projects', kind: 'serverError', status: 503 },
    ],
  });
  const before = calls(emu, 'GET /projects');
  assert.ok((await client.withPath({ directory: 'Demo Odoo' }, (s) => s.listProjects())).length >= 3);
  assert.equal(calls(emu, 'GET /projects') - before, 3);
  emu.setFaults({ script: [1, 2, 3].map(() => ({ endpoint: 'GET /projects', kind: 'serverError' as const, status: 502 })) });
  await assert.rejects(
    client.withSession(async (s) => {
      await s.selectDirectory('Demo Odoo');
      return s.listProjects();
    }),
    (e: unknown) => e instanceof LogikalServerError && e.status === 502 && e.transient,
  );
  emu.setFaults({ script: [{ endpoint: 'POST /projects/select', kind: 'serverError' }] });
  const selBefore = calls(emu, 'POST /projects/select');
  const loginsBefore = client.stats().logins;
  const phases = await client.withPath({ directory: 'Demo Odoo', projectId: DOS22309 }, (s) => s.listPhases());
  assert.equal(phases.length, 2);
  assert.equal(calls(emu, 'POST /projects/select') - selBefore, 2);
  assert.equal(client.stats().logins - loginsBefore, 2);
  emu.setFaults({});
  assert.equal(emu.stats().openSessions, 0);
});

test('timeouts: a hung call fails within callTimeoutMs as LogikalTimeoutError', async () => {
  const client = clientFor(emu, { callTimeoutMs: 150, retries: 0 });
  emu.setFaults({ hangSeconds: 5, script: [{ endpoint: 'GET /phases', kind: 'timeout' }] });
  const t0 = Date.now();
  await assert.rejects(
    client.withSession(async (s) => {
      await s.walk({ directory: 'Demo Odoo', projectId: DOS22309 });
      return s.listPhases();
    }),
    (e: unknown) => e instanceof LogikalTimeoutError && e.transient && e.operation === 'GET /phases',
  );
  assert.ok(Date.now() - t0 < 2000);
  emu.setFaults({});
  assert.equal(emu.stats().openSessions, 0);
});

test('Logikal down: the circuit opens after repeated failures, calls fail fast, one probe closes it', async () => {
  const client = clientFor(emu, { retries: 3, backoffBaseMs: 1, backoffMaxMs: 4, cooldownMs: 150 });
  const held = await client.acquire();
  emu.setFaults({ serverErrorRate: 1, endpoints: ['GET /version'] });
  const before = calls(emu, 'GET /version');
  // 4 attempts per call (1 + 3 in place): the 10th failed attempt opens the circuit, the retry after it is refused.
  for (let i = 0; i < 2; i++) await assert.rejects(client.version(), LogikalServerError);
  await assert.rejects(
    client.version(),
    (e: unknown) =>
      e instanceof LogikalCircuitOpenError &&
      e.local &&
      e.transient &&
      e.message.includes('circuit open') &&
      e.message.includes('GET /version failed with 500'),
  );
  assert.equal(calls(emu, 'GET /version') - before, 10);
  // Open: nothing is sent, logins included.
  const logins = calls(emu, 'POST /auth');
  await assert.rejects(client.version(), LogikalCircuitOpenError);
  await assert.rejects(
    client.withPath({ directory: 'Demo Odoo' }, (s) => s.listProjects()),
    LogikalCircuitOpenError,
  );
  assert.deepEqual([calls(emu, 'GET /version') - before, calls(emu, 'POST /auth') - logins], [10, 0]);
  // A logout still goes out: a leaked session would hold a licence seat.
  await held.release();
  assert.deepEqual([client.stats().logouts, client.stats().open], [1, 0]);
  // After the cool-down one probe goes out; it fails → open again at once.
  await new Promise((r) => setTimeout(r, 160));
  await assert.rejects(client.version(), LogikalCircuitOpenError);
  assert.equal(calls(emu, 'GET /version') - before, 11);
  // Logikal is back: the next probe succeeds and closes the circuit.
  emu.setFaults({});
  await new Promise((r) => setTimeout(r, 160));
  assert.ok((await client.version()).componentVersions.length > 0);
  assert.equal(await client.withPath({ directory: 'Demo Odoo' }, async (s) => (await s.listProjects()).length > 0), true);
  assert.equal(emu.stats().openSessions, 0);
});

test('corrupt parts lists are protocol errors (wrong magic, oversize), not retried', async () => {
  const client = clientFor(emu);
  const path: LogikalPath = { directory: 'Demo Odoo', projectId: DOS22309, phaseId: FASE1 };
  const [a, b] = demoPhase(FASE1).elevations;
  for (const [kind, el, reason] of [
    ['not-sqlite', a, /magic header missing/],
    ['oversize', b, /exceeds the cap/],
  ] as const) {
    emu.setFaults({ corruptPartsLists: [el.name], corruptKind: kind });
    const before = calls(emu, 'GET /elevations/selected/parts-list');
    await assert.rejects(
      client.withPath({ ...path, elevationId: el.id }, (s) => s.getPartsList()),
      (e: unknown) => e instanceof LogikalProtocolError && reason.test(e.message) && e.operation === 'GET /elevations/selected/parts-list',
    );
    assert.equal(calls(emu, 'GET /elevations/selected/parts-list') - before, 1);
  }
  emu.setFaults({});
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
