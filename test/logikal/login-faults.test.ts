import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { configureLogging } from '../../server/logging';
import { startEmulator, type EmulatorOptions, type LogikalEmulator } from '../../emulator/index';
import type { LogikalClient } from '../../server/logikal/logikal-client';
import type { LogikalClientOptions } from '../../server/logikal/logikal-client';
import { LogikalAuthFailedError, LogikalCircuitOpenError, LogikalError, LogikalNotFoundError } from '../../server/logikal/logikal-errors';
import { calls, clientFor, DOS22309 } from './demo-client';

// Logins under the fault policy, against the emulator: "no seat now" in every form LogiKal might
// use is waited for, credentials are never retried, a lost login reply is neither retried at once
// nor forgotten, and a LogiKal that is down costs a few seat-free probes instead of a login storm.

configureLogging({ level: 'error', production: false, silent: true });

const emulators: LogikalEmulator[] = [];
after(async () => {
  await Promise.all(emulators.map((e) => e.stop()));
});

async function emulator(opts: EmulatorOptions = {}): Promise<LogikalEmulator> {
  const e = await startEmulator({ latencyScale: 0, ...opts });
  emulators.push(e);
  return e;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), what);
}

/** HTTP requests the client sent, by endpoint template, and when each ended. */
function recorded(): { requests: Array<{ call: string; status: number | string; at: number }>; options: Partial<LogikalClientOptions> } {
  const requests: Array<{ call: string; status: number | string; at: number }> = [];
  return {
    requests,
    options: { onRequest: (o) => requests.push({ call: `${o.method} ${o.endpoint}`, status: o.status, at: Date.now() }) },
  };
}

/** What a force sync does first: logins ahead of need for its parallel tasks, and the unit listing the project. */
async function syncBurst(client: LogikalClient, prefetch = 4): Promise<unknown> {
  const early = Array.from({ length: prefetch }, () => client.acquire().then((l) => l.release()));
  const unit = client.withPath({ directory: 'Demo Odoo' }, (s) => s.listProjects());
  const [first] = await Promise.allSettled([unit, ...early]);
  if (first.status === 'fulfilled') assert.fail('the unit must fail while LogiKal is down');
  return first.reason;
}

for (const [status, message] of [
  [403, undefined],
  [
    409,
    'The requested resource is locked, is in use by another user or the request cannot be performed due to the current resource state.',
  ],
  [429, 'Too Many Requests'],
  [503, 'No free licence: all seats are in use.'],
  [503, 'Service Unavailable'],
] as Array<[number, string | undefined]>) {
  test(`a login refused with ${status} "${message ?? 'licence limit'}" is "no seat now": the client waits and gets a seat`, async () => {
    const e = await emulator({ maxSessions: 1, licenceRefusalStatus: status, licenceRefusalMessage: message });
    const holder = await clientFor(e).acquire();
    const client = clientFor(e, { maxSessions: 2, licenceAttempts: 20, backoffBaseMs: 5, backoffMaxMs: 20 });
    const unit = client.withSession(async (s) => (await s.listDirectories()).map((d) => d.path));
    await until('the client was refused a seat', () => e.stats().refusedLogins >= 2);
    await holder.release();
    assert.deepEqual(await unit, ['Demo Odoo']);
    const c = client.stats();
    assert.ok(c.refusedLogins >= 2, `refused ${c.refusedLogins}`);
    assert.deepEqual([c.logins, c.logouts, c.open], [1, 1, 0]);
    // A refusal that says so lowers the limit to what is logged in; a bare 503 may be an overload, and does not.
    assert.equal(c.effectiveLimit, message === 'Service Unavailable' ? 2 : 1);
    assert.equal(e.stats().openSessions, 0);
  });
}

for (const status of [400, 401]) {
  test(`a login refused with ${status} is a credential error: never retried`, async () => {
    const e = await emulator({ maxSessions: 1, licenceRefusalStatus: status, licenceRefusalMessage: 'Authentication failed.' });
    const holder = await clientFor(e).acquire();
    const client = clientFor(e, { licenceAttempts: 20 });
    const before = calls(e, 'POST /auth');
    await assert.rejects(
      client.withSession(async () => 1),
      (err: unknown) => err instanceof LogikalAuthFailedError && err.status === status,
    );
    assert.deepEqual([calls(e, 'POST /auth') - before, client.stats().loginAttempts, client.stats().refusedLogins], [1, 1, 0]);
    await holder.release();
  });
}

test('a lost login reply: the next login waits a backoff and a probe, and the seat it may hold is counted', async () => {
  const e = await emulator({ maxSessions: 3, faults: { script: [{ endpoint: 'POST /auth', kind: 'lostReply' }] } });
  const { requests, options } = recorded();
  const client = clientFor(e, { ...options, maxSessions: 3, backoffBaseMs: 100, backoffMaxMs: 200, cooldownMs: 60_000 });
  assert.equal(await client.withSession(async (s) => (await s.listDirectories()).length), 1);
  const logins = requests.filter((r) => r.call === 'POST /auth');
  assert.deepEqual(
    logins.map((r) => r.status),
    ['error', 200],
  );
  const between = requests.slice(requests.indexOf(logins[0]) + 1, requests.indexOf(logins[1])).map((r) => r.call);
  assert.deepEqual(between, ['GET /version'], 'LogiKal is asked whether it answers before the next login');
  assert.ok(logins[1].at - logins[0].at >= 50, `the next login waited a backoff (${logins[1].at - logins[0].at} ms)`);
  const c = client.stats();
  assert.deepEqual([c.lostLogins, c.effectiveLimit, c.loginAttempts, c.logins], [1, 2, 2, 1]);
  // The lost login's session is still open at LogiKal, holding a seat nobody can free.
  assert.equal(e.stats().openSessions, 1);
});

test('a lost login reply lowers the limit: the leaked seat does not push the pool into the licence cap', async () => {
  const e = await emulator({ maxSessions: 2, faults: { script: [{ endpoint: 'POST /auth', kind: 'lostReply' }] } });
  const client = clientFor(e, { maxSessions: 2, backoffBaseMs: 20, backoffMaxMs: 40, cooldownMs: 60_000 });
  // Each unit holds its session a while, so both would be logged in at once next to the leaked one.
  const unit = (): Promise<number> =>
    client.withSession(async (s) => {
      const n = (await s.listDirectories()).length;
      await new Promise((r) => setTimeout(r, 150));
      return n;
    });
  assert.deepEqual(await Promise.all([unit(), unit()]), [1, 1]);
  const s = e.stats();
  assert.deepEqual([s.refusedLogins, s.openSessions, s.peakSessions], [0, 1, 2]);
  assert.deepEqual([client.stats().lostLogins, client.stats().peak, client.stats().effectiveLimit], [1, 1, 1]);
});

test('LogiKal refuses connections: a sync burst costs at most 3 requests and fails with "LogiKal is unreachable"', async () => {
  const e = await emulator({ faults: { down: 'refuse' } });
  const { requests, options } = recorded();
  const client = clientFor(e, { ...options, cooldownMs: 60_000 });
  const err = await syncBurst(client);
  assert.ok(err instanceof LogikalCircuitOpenError && err.local, String(err));
  assert.match(err.message, /^LogiKal is unreachable: Logikal GET \/version connection failed \(ECONNREFUSED\)/);
  assert.ok(requests.length <= 3, `${requests.length} requests`);
  assert.deepEqual([client.stats().loginAttempts, client.stats().reachability], [0, 'unreachable']);
  // While it stays down, more runs send nothing at all.
  await syncBurst(client);
  assert.ok(requests.length <= 3, `${requests.length} requests`);
});

test('LogiKal answers 503 to everything: at most 3 requests, no login; after the cool-down one probe, then back to work', async () => {
  const e = await emulator({ faults: { down: 'unavailable' } });
  const client = clientFor(e, { cooldownMs: 200 });
  const err = await syncBurst(client);
  assert.ok(err instanceof LogikalCircuitOpenError, String(err));
  assert.match(err.message, /^LogiKal is unreachable: Logikal GET \/version failed with 503/);
  const total = (): number => Object.values(e.stats().callsByEndpoint).reduce((a, b) => a + b, 0);
  assert.ok(total() <= 3, `${total()} requests`);
  assert.equal(calls(e, 'POST /auth'), 0);
  await new Promise((r) => setTimeout(r, 250));
  await syncBurst(client);
  assert.ok(total() <= 4, `${total()} requests: one probe after the cool-down`);
  e.setFaults({});
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(await client.withPath({ directory: 'Demo Odoo' }, async (s) => (await s.listProjects()).length > 0), true);
  assert.equal(client.stats().reachability, 'unverified');
  assert.equal(e.stats().openSessions, 0);
});

test('LogiKal goes away right after a good unit: the next burst still costs at most 3 requests', async () => {
  const e = await emulator();
  const { requests, options } = recorded();
  const client = clientFor(e, { ...options, cooldownMs: 60_000 });
  assert.equal(await client.withPath({ directory: 'Demo Odoo' }, async (s) => (await s.listProjects()).length > 0), true);
  e.setFaults({ down: 'refuse' });
  const before = requests.length;
  const err = await syncBurst(client);
  assert.ok(err instanceof LogikalError && err.message.startsWith('LogiKal is unreachable: '), String(err));
  assert.ok(requests.length - before <= 3, `${requests.length - before} requests`);
});

test('permanent failures are not retried: a project LogiKal does not know costs one login and one select', async () => {
  const e = await emulator();
  const client = clientFor(e);
  const [logins, selects] = [calls(e, 'POST /auth'), calls(e, 'POST /projects/select')];
  await assert.rejects(
    client.withPath({ directory: 'Demo Odoo', projectId: DOS22309.replace(/^5/, '6') }, (s) => s.listPhases()),
    (err: unknown) => err instanceof LogikalNotFoundError && err.status === 404 && !err.transient,
  );
  assert.deepEqual([calls(e, 'POST /auth') - logins, calls(e, 'POST /projects/select') - selects], [1, 1]);
});
