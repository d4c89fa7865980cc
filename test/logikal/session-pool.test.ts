import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { configureLogging } from '../../server/logging';
import { startEmulator, type LogikalEmulator } from '../../emulator/index';
import { LogikalClient } from '../../server/logikal/logikal-client';
import type { LogikalClientOptions } from '../../server/logikal/logikal-client';
import { LogikalError } from '../../server/logikal/logikal-errors';
import { SQLITE_MAGIC } from '../../server/logikal/download-checks';
import { NULL_GUID, type LogikalPath } from '../../server/logikal/logikal-types';
import { SYNC_ENDPOINTS } from '../helpers/logikal-endpoints';

configureLogging({ level: 'error', production: false, silent: true });

const DOS22309 = '5ddb1393-56eb-4280-9f7e-3c3aec51483c';
const PHASE: LogikalPath = { directory: 'Demo Odoo', projectId: DOS22309, phaseId: NULL_GUID };
/** Every endpoint the client uses except DELETE /auth (whose faults get their own test). */
const FAULTABLE = [...SYNC_ENDPOINTS, 'GET /elevations/selected/quotation-price'];

let elevationIds: string[] = [];
const emulators: LogikalEmulator[] = [];

async function emulator(opts: Parameters<typeof startEmulator>[0] = {}): Promise<LogikalEmulator> {
  const e = await startEmulator({ latencyScale: 0, ...opts });
  emulators.push(e);
  return e;
}

function clientFor(e: LogikalEmulator, o: Partial<LogikalClientOptions> = {}): LogikalClient {
  return new LogikalClient({
    baseUrl: e.url,
    username: 'odoo',
    password: 'logikal-demo',
    maxSessions: 3,
    callTimeoutMs: 2000,
    backoffBaseMs: 5,
    backoffMaxMs: 50,
    ...o,
  });
}

function downloadAll(client: LogikalClient, ids: string[]): Promise<Array<PromiseSettledResult<Buffer>>> {
  return Promise.allSettled(ids.map((id) => client.withPath({ ...PHASE, elevationId: id }, (s) => s.getPartsList())));
}

before(async () => {
  const e = await emulator();
  elevationIds = await clientFor(e).withPath(PHASE, async (s) => (await s.listElevations()).map((x) => x.id));
  assert.ok(elevationIds.length >= 12);
});

after(async () => {
  await Promise.all(emulators.map((e) => e.stop()));
});

test('3N concurrent parts-list downloads never exceed N sessions; every login is logged out', async () => {
  const e = await emulator();
  const client = clientFor(e, { maxSessions: 3 });
  const run = downloadAll(client, elevationIds.slice(0, 9));
  await new Promise((r) => setImmediate(r));
  assert.equal(client.stats().waiting, 6);
  const results = await run;
  for (const r of results) {
    assert.equal(r.status, 'fulfilled');
    assert.ok(r.value.subarray(0, 16).equals(SQLITE_MAGIC));
  }
  const s = e.stats();
  assert.ok(s.peakSessions <= 3, `peak ${s.peakSessions}`);
  assert.equal(s.logins, 9);
  assert.equal(s.logouts, 9);
  assert.equal(s.openSessions, 0);
  assert.deepEqual(
    { ...client.stats(), peak: 0 },
    {
      logins: 9,
      logouts: 9,
      failedLogouts: 0,
      open: 0,
      peak: 0,
      waiting: 0,
      refusedLogins: 0,
      effectiveLimit: 3,
      loginAttempts: 9,
      lostLogins: 0,
      // Idle again: the next burst of logins probes Logikal first.
      reachability: 'unverified',
    },
  );
  assert.ok(client.stats().peak <= 3);
});

test('with 5xx, hangs and cut-offs injected: cap holds, nothing leaks, failures are typed', async () => {
  const e = await emulator({
    // Logins are left alone: at 40 % faults three failed logins in a row would shut the login gate
    // (by design, see test/logikal/login-faults.test.ts), which is not what this test is about.
    faults: {
      seed: 7,
      serverErrorRate: 0.3,
      timeoutRate: 0.05,
      cutOffRate: 0.05,
      hangSeconds: 2,
      endpoints: FAULTABLE.filter((f) => f !== 'POST /auth'),
    },
  });
  const client = clientFor(e, { maxSessions: 3, callTimeoutMs: 200, downloadTimeoutMs: 400, retries: 4 });
  const results = await downloadAll(client, elevationIds.slice(0, 9));
  let ok = 0;
  for (const r of results) {
    if (r.status === 'fulfilled') {
      ok++;
      assert.ok(r.value.subarray(0, 16).equals(SQLITE_MAGIC));
    } else {
      assert.ok(r.reason instanceof LogikalError && r.reason.transient && !r.reason.local, String(r.reason));
    }
  }
  const s = e.stats();
  assert.ok(s.errorsInjected >= 10, `faults injected: ${s.errorsInjected}`);
  assert.ok(s.faultsInjected.timeout > 0 && s.faultsInjected.cutOff > 0);
  // Each unit has four un-retriable selects at a 40 % fault rate; most still get through on replays.
  assert.ok(ok >= 3, `only ${ok}/9 succeeded`);
  const c = client.stats();
  // A login answered after the client's 200 ms timeout (a loaded machine) opened a session the
  // client never saw: it holds a seat the client cannot count, and says so (lostLogins).
  assert.ok(s.peakSessions <= 3 + c.lostLogins, `peak ${s.peakSessions}, lost logins ${c.lostLogins}`);
  // (A lost reply may also belong to a login the emulator refused or never finished.)
  assert.ok(s.logouts >= s.logins - c.lostLogins, `logins ${s.logins}, logouts ${s.logouts}, lost ${c.lostLogins}`);
  assert.ok(s.openSessions <= c.lostLogins, `open ${s.openSessions}, lost ${c.lostLogins}`);
  assert.equal(c.logins, c.logouts);
  assert.equal(c.failedLogouts, 0);
  assert.equal(c.open, 0);
});

test('logout is retried on 5xx, hang and cut-off; a logout the server already did counts as done', async () => {
  const e = await emulator({
    faults: {
      hangSeconds: 2,
      script: [
        { endpoint: 'DELETE /auth', kind: 'serverError' },
        { endpoint: 'DELETE /auth', kind: 'timeout' },
        { endpoint: 'DELETE /auth', kind: 'cutOff' },
      ],
    },
  });
  const client = clientFor(e, { callTimeoutMs: 200 });
  assert.equal(await client.withSession(async (s) => (await s.listDirectories()).length), 1);
  assert.equal(e.stats().callsByEndpoint['DELETE /auth'], 4);
  assert.equal(e.stats().openSessions, 0);
  assert.equal(client.stats().logouts, 1);
});

test("fn's error wins over a failing logout, and the session is still released", async () => {
  const e = await emulator({
    faults: { script: Array.from({ length: 6 }, () => ({ endpoint: 'DELETE /auth', kind: 'serverError' as const })) },
  });
  const client = clientFor(e, { maxSessions: 1 });
  const boom = new Error('fn failed');
  await assert.rejects(
    client.withSession(async () => {
      throw boom;
    }),
    (err: unknown) => err === boom,
  );
  assert.equal(e.stats().callsByEndpoint['DELETE /auth'], 4);
  assert.deepEqual([client.stats().failedLogouts, client.stats().open], [1, 0]);
  assert.equal(e.dropAllSessions(), 1);
  // The slot was given back: the next unit runs.
  assert.equal(await client.withSession(async () => 'next'), 'next');
});

test('licence cap below the client cap: backs off, lowers concurrency, completes, bounded refusals', async () => {
  const e = await emulator({ maxSessions: 2 });
  // backoffMaxMs 1000 → the limit only probes upwards after 6 s quiet, i.e. not during this run.
  const client = clientFor(e, { maxSessions: 4, backoffBaseMs: 10, backoffMaxMs: 1000 });
  let lowest = Infinity;
  const sampler = setInterval(() => {
    lowest = Math.min(lowest, client.stats().effectiveLimit);
  }, 1);
  const results = await downloadAll(client, elevationIds.slice(0, 8)).finally(() => clearInterval(sampler));
  assert.ok(results.every((r) => r.status === 'fulfilled'));
  assert.ok(lowest <= 2, `effective limit went down to ${lowest}`);
  const s = e.stats();
  assert.ok(s.peakSessions <= 2);
  assert.ok(s.refusedLogins >= 1 && s.refusedLogins <= 4, `refused ${s.refusedLogins}`);
  assert.equal(client.stats().refusedLogins, s.refusedLogins);
  assert.equal(s.logins, 8);
  assert.equal(s.logouts, 8);
});

test('waiters are served first come, first served', async () => {
  const e = await emulator();
  const client = clientFor(e, { maxSessions: 1 });
  const order: number[] = [];
  await Promise.all(
    [0, 1, 2, 3].map((i) =>
      client.withSession(async (s) => {
        order.push(i);
        await s.listDirectories();
      }),
    ),
  );
  assert.deepEqual(order, [0, 1, 2, 3]);
  assert.equal(e.stats().peakSessions, 1);
});

test('acquire() logs in ahead of need; withPath uses the lease and releases it', async () => {
  const e = await emulator();
  const client = clientFor(e, { maxSessions: 2 });
  const listing = client.withPath(PHASE, (s) => s.listElevations());
  const lease = await client.acquire();
  assert.equal(lease.session.isOpen, true);
  const elevations = await listing;
  const loginsBefore = e.stats().logins;
  const bytes = await client.withPath({ ...PHASE, elevationId: elevations[0].id }, (s) => s.getPartsList(), { lease });
  assert.ok(bytes.subarray(0, 16).equals(SQLITE_MAGIC));
  assert.equal(e.stats().logins, loginsBefore);
  assert.equal(lease.session.isOpen, false);
  await lease.release();
  assert.deepEqual([e.stats().openSessions, e.stats().logouts, client.stats().logouts], [0, 2, 2]);
});
