import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { configureLogging } from '../../server/logging';
import { startEmulator, type EmulatorFixture, type LogikalEmulator } from '../../emulator/index';
import {
  LogikalAuthFailedError,
  LogikalCircuitOpenError,
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
import { calls, clientFor, demoPhase, DOS22309, FASE1, PASSWORD } from './demo-client';

// The client against the emulator when the server refuses or fails: how answers are classified,
// what is retried in place, what is replayed on a fresh session, the circuit breaker, corrupt downloads.

configureLogging({ level: 'error', production: false, silent: true });

let emu: LogikalEmulator;
let fixture: EmulatorFixture;

before(async () => {
  emu = await startEmulator({ latencyScale: 0 });
  fixture = emu.fixture;
});

after(async () => {
  await emu.stop();
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
  // The window (20 calls) holds two successes, the login gate's probe and the login. 4 attempts per
  // call (1 + 3 in place): the 19th failure pushes the first success out, 19 of 20 failed (over
  // 90 %) opens the circuit, the retry after it is refused.
  for (let i = 0; i < 4; i++) await assert.rejects(client.version(), LogikalServerError);
  await assert.rejects(
    client.version(),
    (e: unknown) =>
      e instanceof LogikalCircuitOpenError &&
      e.local &&
      e.transient &&
      e.message.startsWith('LogiKal is unreachable: ') &&
      e.message.includes('circuit open') &&
      e.message.includes('GET /version failed with 500'),
  );
  assert.equal(calls(emu, 'GET /version') - before, 19);
  // Open: nothing is sent, logins included.
  const logins = calls(emu, 'POST /auth');
  await assert.rejects(client.version(), LogikalCircuitOpenError);
  await assert.rejects(
    client.withPath({ directory: 'Demo Odoo' }, (s) => s.listProjects()),
    LogikalCircuitOpenError,
  );
  assert.deepEqual([calls(emu, 'GET /version') - before, calls(emu, 'POST /auth') - logins], [19, 0]);
  // A logout still goes out: a leaked session would hold a licence seat.
  await held.release();
  assert.deepEqual([client.stats().logouts, client.stats().open], [1, 0]);
  // After the cool-down one probe goes out; it fails → open again at once.
  await new Promise((r) => setTimeout(r, 160));
  await assert.rejects(client.version(), LogikalCircuitOpenError);
  assert.equal(calls(emu, 'GET /version') - before, 20);
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
  const [a, b] = demoPhase(fixture, FASE1).elevations;
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
