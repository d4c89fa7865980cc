import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEmulator } from '../../emulator/index';
import { Api, withEmulator } from './emu-http';

async function statuses(url: string, n: number): Promise<number[]> {
  const api = new Api(url);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await api.call('GET', '/version')).status);
  return out;
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('emulator licences, faults, latency, shutdown', () => {
  it('refuses logins beyond maxSessions with 403 and counts sessions', async () => {
    await withEmulator({ maxSessions: 2 }, async (emu, api) => {
      const a = new Api(api.base);
      const b = new Api(api.base);
      assert.equal((await a.login()).status, 200);
      assert.equal((await b.login()).status, 200);
      const refused = await api.login();
      assert.equal(refused.status, 403);
      assert.equal(refused.json.message, 'The licence limit of 2 concurrent sessions has been reached.');
      assert.deepEqual(refused.json.errors, [refused.json.message]);
      let s = emu.stats();
      assert.deepEqual([s.logins, s.openSessions, s.peakSessions, s.refusedLogins], [2, 2, 2, 1]);
      assert.equal(s.callsByEndpoint['POST /auth'], 3);

      await a.call('DELETE', '/auth');
      assert.equal((await api.login()).status, 200);
      emu.resetStats();
      s = emu.stats();
      assert.deepEqual([s.logins, s.logouts, s.openSessions, s.peakSessions, s.refusedLogins], [0, 0, 2, 2, 0]);
      assert.deepEqual(s.callsByEndpoint, {});
      await b.call('DELETE', '/auth');
      await api.call('DELETE', '/auth');
      s = emu.stats();
      assert.deepEqual([s.logouts, s.openSessions], [2, 0]);
    });
  });

  it('injects the same 5xx sequence for the same seed, and counts it', async () => {
    const faults = { seed: 42, serverErrorRate: 0.3 };
    const one = await startEmulator({ latencyScale: 0, faults });
    const two = await startEmulator({ latencyScale: 0, faults });
    const other = await startEmulator({ latencyScale: 0, faults: { ...faults, seed: 7 } });
    try {
      const s1 = await statuses(one.url, 40);
      const s2 = await statuses(two.url, 40);
      const s3 = await statuses(other.url, 40);
      assert.deepEqual(s1, s2);
      assert.notDeepEqual(s1, s3);
      const fails = s1.filter((s) => s === 500).length;
      assert.ok(fails > 3 && fails < 25, `fails=${fails}`);
      assert.equal(one.stats().errorsInjected, fails);
      assert.equal(one.stats().faultsByEndpoint['GET /version'], fails);
      const err = await new Api(one.url).call('GET', '/version');
      if (err.status === 500) assert.deepEqual(Object.keys(err.json), ['message', 'code', 'hints', 'warnings', 'errors']);
    } finally {
      await Promise.all([one.stop(), two.stop(), other.stop()]);
    }
  });

  it('a 5xx on DELETE /auth leaves the session open until the client retries', async () => {
    await withEmulator({}, async (emu, api) => {
      await api.login();
      emu.setFaults({ script: [{ endpoint: 'DELETE /auth', kind: 'serverError', status: 503 }] });
      assert.equal((await api.call('DELETE', '/auth')).status, 503);
      assert.equal(emu.stats().openSessions, 1);
      assert.equal((await api.call('GET', '/directories')).status, 200);
      assert.equal((await api.call('DELETE', '/auth')).status, 200);
      const s = emu.stats();
      assert.deepEqual([s.openSessions, s.logouts, s.faultsByEndpoint['DELETE /auth']], [0, 1, 1]);
    });
  });

  it('a login cut off mid-reply holds no licence seat; other replies are cut mid-body', async () => {
    await withEmulator({ maxSessions: 1 }, async (emu, api) => {
      emu.setFaults({ script: [{ endpoint: 'POST /auth', kind: 'cutOff' }] });
      await assert.rejects(api.login());
      let s = emu.stats();
      assert.deepEqual([s.logins, s.openSessions, s.faultsInjected.cutOff], [0, 0, 1]);
      assert.equal((await api.login()).status, 200);
      emu.setFaults({ script: [{ kind: 'cutOff' }] });
      await assert.rejects(api.call('GET', '/directories'));
      s = emu.stats();
      assert.equal(s.errorsInjected, 2);
    });
  });

  it('changes faults at runtime over HTTP and serves corrupt parts lists on request', async () => {
    await withEmulator({}, async (emu, api) => {
      const set = await fetch(`${emu.url}/__emulator/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ corruptPartsLists: ['P07'], corruptKind: 'not-sqlite' }),
      });
      assert.equal(set.status, 200);
      assert.deepEqual(emu.faults.corruptPartsLists, ['P07']);
      const els = await api.toPhase();
      await api.select('elevations', els.find((e) => e.name === 'P07')!.id);
      const bad = Buffer.from((await api.call('GET', '/elevations/selected/parts-list')).json.data, 'base64');
      assert.notEqual(bad.subarray(0, 15).toString('latin1'), 'SQLite format 3');
      const b = new Api(api.base);
      const els2 = await b.toPhase();
      await b.select('elevations', els2.find((e) => e.name === 'P06')!.id);
      const good = Buffer.from((await b.call('GET', '/elevations/selected/parts-list')).json.data, 'base64');
      assert.equal(good.subarray(0, 15).toString('latin1'), 'SQLite format 3');
      const stats = (await (await fetch(`${emu.url}/__emulator/stats`)).json()) as { faultsInjected: { corruptPartsList: number } };
      assert.equal(stats.faultsInjected.corruptPartsList, 1);
      const invalid = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ serverErrorRate: 2 }) });
      assert.equal(invalid.status, 400);
    });
  });

  it('applies latencyScale to the measured timings (login 4.5 s × 0.05 ≈ 225 ms)', async () => {
    await withEmulator({ latencyScale: 0.05 }, async (_emu, api) => {
      const t0 = performance.now();
      assert.equal((await api.login()).status, 200);
      const login = performance.now() - t0;
      assert.ok(login >= 200 && login < 1500, `login took ${login} ms`);
      const t1 = performance.now();
      await api.call('GET', '/directories');
      const dirs = performance.now() - t1;
      assert.ok(dirs < login / 2, `directories ${dirs} ms vs login ${login} ms`);
    });
  });

  it('stop() returns promptly while a "timeout" fault is hanging a request', async () => {
    const emu = await startEmulator({ latencyScale: 0, faults: { timeoutRate: 1, hangSeconds: 600 } });
    const pending = fetch(`${emu.url}/version`).then(
      (r) => r.status,
      (e: Error) => e,
    );
    await waitFor(() => emu.stats().faultsInjected.timeout === 1);
    const t0 = performance.now();
    await emu.stop();
    assert.ok(performance.now() - t0 < 1000, 'stop took too long');
    assert.ok((await pending) instanceof Error, 'the hung request must fail, not answer');
  });
});
