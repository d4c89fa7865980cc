import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { configureLogging } from '../../server/logging';
import { startEmulator, type EmulatorFixture, type LogikalEmulator } from '../../emulator/index';
import { LogikalNotInMappingError, LogikalSidewaysRefusedError } from '../../server/logikal/logikal-errors';
import type { CapabilityStore, LearntCapability } from '../../server/logikal/capabilities';
import { NULL_GUID } from '../../server/logikal/logikal-types';
import { calls, clientFor, demoPhase, DOS22309, FASE1 } from './demo-client';

// Sibling selects (open question 1 of logikal-api.md): the client learns whether a LogiKal server
// lets a session select a sibling elevation or phase by trying it once, remembers what it learnt per
// server version, and never sends a sideways select it knows to be refused.

configureLogging({ level: 'error', production: false, silent: true });

const SELECT = 'POST /elevations/select';
const PHASE_SELECT = 'POST /phases/select';
let strict: LogikalEmulator;
let sibling: LogikalEmulator;
let fixture: EmulatorFixture;

before(async () => {
  strict = await startEmulator({ latencyScale: 0 });
  sibling = await startEmulator({ latencyScale: 0, allowSiblingSelect: true });
  fixture = strict.fixture;
});

after(async () => {
  await strict.stop();
  await sibling.stop();
});

/** A store in memory, counting saves. */
function memoryStore(): CapabilityStore & { saved: LearntCapability[] } {
  const saved: LearntCapability[] = [];
  return {
    saved,
    load: (url, version) => Promise.resolve(saved.filter((s) => s.serverUrl === url && s.serverVersion === version)),
    save: (l) => {
      saved.push(l);
      return Promise.resolve();
    },
  };
}

const path = (elevationId: string, phaseId = NULL_GUID) => ({ directory: 'Demo Odoo', projectId: DOS22309, phaseId, elevationId });

test('a strict session refuses a sideways select locally unless the client permits it', async () => {
  const client = clientFor(strict);
  const [a, b] = demoPhase(fixture, NULL_GUID).elevations;
  await client.withSession(async (s) => {
    await s.walk(path(a.id));
    const before = calls(strict, SELECT);
    await assert.rejects(s.selectElevation(b.id), LogikalNotInMappingError);
    assert.equal(calls(strict, SELECT), before, 'refused without a request');
  });
});

test('against a LogiKal that allows it: probed once, learnt as allowed, then used without asking again', async () => {
  const store = memoryStore();
  const client = clientFor(sibling, { capabilityStore: store });
  await client.capabilities.refresh();
  assert.equal(client.capabilities.state('sibling_elevation_select'), 'unknown');
  const elevations = demoPhase(fixture, NULL_GUID).elevations.slice(0, 4);
  const logins = sibling.stats().logins;
  const { held } = await client.hold(path(elevations[0].id), (s) => s.downloadPartsList());
  const names: string[] = [];
  try {
    for (const e of elevations.slice(1)) {
      const r = await held.run(path(e.id), (s) => s.downloadPartsList());
      assert.equal(r.sideways, true);
      names.push(r.value.bytes.includes(Buffer.from(e.name)) ? e.name : '?');
    }
  } finally {
    await held.release();
  }
  assert.deepEqual(
    names,
    elevations.slice(1).map((e) => e.name),
    'each parts list is the selected elevation’s',
  );
  assert.equal(sibling.stats().logins - logins, 1, 'four parts lists on one login');
  assert.equal(client.capabilities.state('sibling_elevation_select'), 'allowed');
  assert.deepEqual(
    store.saved.map((s) => [s.capability, s.allowed, s.serverVersion]),
    [['sibling_elevation_select', true, 'MbioeService 12.2.6.59; LogiKal 12.2.6']],
    'learnt once, stored with the server version',
  );
  assert.ok(store.saved[0].learntAt instanceof Date);
});

test('against a strict LogiKal: one 409 teaches "refused"; later sideways moves are refused locally, and a fresh session does the unit', async () => {
  const store = memoryStore();
  const client = clientFor(strict, { capabilityStore: store });
  await client.capabilities.refresh();
  const [a, b, c] = demoPhase(fixture, NULL_GUID).elevations;
  const { held } = await client.hold(path(a.id), (s) => s.downloadPartsList());
  try {
    const before = calls(strict, SELECT);
    const refused = await held.run(path(b.id), (s) => s.downloadPartsList()).catch((e: unknown) => e);
    assert.ok(refused instanceof LogikalSidewaysRefusedError, String(refused));
    assert.match(refused.message, /409.*isn't valid in the current mapping/);
    assert.equal(calls(strict, SELECT) - before, 1, 'the probe: one select');
    assert.equal(client.capabilities.state('sibling_elevation_select'), 'refused');
    assert.equal(held.usable, true, 'a 409 leaves the session where it was');

    const again = await held.run(path(c.id), (s) => s.downloadPartsList()).catch((e: unknown) => e);
    assert.ok(again instanceof LogikalSidewaysRefusedError && again.local, 'known: refused without a request');
    assert.equal(calls(strict, SELECT) - before, 1);
  } finally {
    await held.release();
  }
  const fresh = await client.withPath(path(c.id), (s) => s.downloadPartsList());
  assert.ok(fresh.bytes.includes(Buffer.from(c.name)));
  assert.deepEqual(
    store.saved.map((s) => [s.capability, s.allowed]),
    [['sibling_elevation_select', false]],
  );
  assert.match(store.saved[0].evidence, /409/);
});

test('a probe that meets a fault learns nothing: the next sideways select probes again', async () => {
  const client = clientFor(sibling, { retries: 0 });
  await client.capabilities.refresh();
  const [a, b] = demoPhase(fixture, NULL_GUID).elevations;
  const { held } = await client.hold(path(a.id), (s) => s.downloadPartsList());
  try {
    sibling.setFaults({ script: [{ endpoint: SELECT, kind: 'serverError', status: 503 }] });
    await assert.rejects(held.run(path(b.id), (s) => s.downloadPartsList()));
    assert.equal(client.capabilities.state('sibling_elevation_select'), 'unknown');
  } finally {
    sibling.setFaults({});
    await held.release();
  }
  const second = await client.hold(path(a.id), (s) => s.downloadPartsList());
  try {
    await second.held.run(path(b.id), (s) => s.downloadPartsList());
    assert.equal(client.capabilities.state('sibling_elevation_select'), 'allowed');
  } finally {
    await second.held.release();
  }
});

test('sibling phases: listed one after another on one session when LogiKal allows it', async () => {
  const client = clientFor(sibling);
  await client.capabilities.refresh();
  const phase = (phaseId: string) => ({ directory: 'Demo Odoo', projectId: DOS22309, phaseId });
  const { held, value: first } = await client.hold(phase(NULL_GUID), (s) => s.listElevations());
  try {
    const before = calls(sibling, PHASE_SELECT);
    const r = await held.run(phase(FASE1), (s) => s.listElevations());
    assert.equal(r.sideways, true);
    assert.equal(calls(sibling, PHASE_SELECT) - before, 1);
    assert.deepEqual(
      r.value.map((e) => e.id),
      demoPhase(fixture, FASE1).elevations.map((e) => e.id),
    );
    assert.notDeepEqual(
      r.value.map((e) => e.id),
      first.map((e) => e.id),
    );
    assert.equal(client.capabilities.state('sibling_phase_select'), 'allowed');
  } finally {
    await held.release();
  }
});

test('a new LogiKal version is a new server: what was learnt of the old one no longer applies', async () => {
  const store = memoryStore();
  const client = clientFor(sibling, { capabilityStore: store });
  await client.capabilities.refresh();
  await client.capabilities.learn('sibling_elevation_select', true, 'test');
  assert.equal(client.capabilities.state('sibling_elevation_select'), 'allowed');
  sibling.configure({ serverVersion: '13.0.0.1' });
  try {
    await client.capabilities.refresh();
    assert.equal(client.capabilities.state('sibling_elevation_select'), 'unknown', 'learnt again');
    sibling.configure({ serverVersion: '12.2.6.59' });
    await client.capabilities.refresh();
    assert.equal(client.capabilities.state('sibling_elevation_select'), 'allowed', 'the stored knowledge of that version');
  } finally {
    sibling.configure({ serverVersion: '12.2.6.59' });
  }
});

test('until LogiKal says which version it runs, every capability reads as refused (the strict walk)', async () => {
  const client = clientFor(strict);
  assert.equal(client.capabilities.known, false);
  assert.equal(client.capabilities.state('sibling_elevation_select'), 'refused');
  assert.equal(client.capabilities.state('sibling_phase_select'), 'refused');
});
