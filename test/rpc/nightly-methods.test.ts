import '../helpers/test-env';
import { NightlyFiring } from '../../entities';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import cron from 'node-cron';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { nextRunOf, previousRunOf, startScheduler } from '../../server/scheduler';

const berlinTime = (iso: string) => new Date(iso).toLocaleTimeString('sv-SE', { timeZone: 'Europe/Berlin' });

describe('sync.schedule and sync.run_nightly with SYNC_CRON=off: params, scopes, transports', () => {
  let t: TestApp;
  let readKey: string;
  let syncKey: string;
  before(async () => {
    t = await startTestApp({ SYNC_CRON: 'off' });
    readKey = (await t.app.services.apiKeys.create('odoo-reader', ['read'])).key;
    syncKey = (await t.app.services.apiKeys.create('odoo-syncer', ['read', 'sync'])).key;
  });
  after(() => t.close());

  it('sync.schedule says the nightly is off, with a read key', async () => {
    const r = await t.rpc('sync.schedule', {}, readKey);
    assert.deepEqual(r.result, {
      enabled: false,
      cron: null,
      timezone: 'UTC',
      next_fire_time: null,
      tracked_directories: [],
      last_firing: null,
      last_nightly: null,
    });
    assert.deepEqual((await t.rpc('sync.schedule', [], readKey)).result, r.result, 'positional params: none');
  });

  it("the same answer in Odoo's call envelope", async () => {
    const r = await t.post(
      { jsonrpc: '2.0', method: 'call', params: { service: 'sync', method: 'schedule', args: [], kwargs: {} }, id: 7 },
      { Authorization: `Bearer ${readKey}` },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.result.enabled, false);
    assert.equal(r.body.result.timezone, 'UTC');
  });

  it('sync.run_nightly needs the admin scope: a read or a sync key is denied', async () => {
    for (const key of [readKey, syncKey]) {
      const denied = await t.rpc('sync.run_nightly', { wait_seconds: 0 }, key);
      assert.equal(denied.error?.code, -32001, JSON.stringify(denied));
      assert.equal(denied.error.data.name, 'odoo.exceptions.AccessDenied');
      assert.match(denied.error.message, /"admin" scope/);
    }
    const none = await t.rpc('sync.schedule', {}, null);
    assert.equal(none.error?.code, -32001, 'sync.schedule needs a key');
  });

  it('params: sync.schedule takes none; wait_seconds is a number from 0 to 110', async () => {
    const extra = await t.rpc('sync.schedule', { cron: '* * * * *' }, readKey);
    assert.equal(extra.error?.code, -32602);
    assert.match(extra.error.message, /unknown param "cron"/);
    const tooMany = await t.rpc('sync.schedule', [1], readKey);
    assert.equal(tooMany.error?.code, -32602);
    for (const bad of [111, -1, 'soon', true]) {
      const r = await t.rpc('sync.run_nightly', { wait_seconds: bad });
      assert.equal(r.error?.code, -32602, JSON.stringify(bad));
      assert.match(r.error.message, /^param "wait_seconds": expected a number/);
    }
    const unknown = await t.rpc('sync.run_nightly', { wait_seconds: 1, project_id: 'DOS22309' });
    assert.match(unknown.error.message, /unknown param "project_id"/);
  });

  it('system.methods lists both with their scopes and params', async () => {
    const methods = (await t.rpc('system.methods', {}, readKey)).result as Array<{ name: string; scope: string; params: unknown }>;
    const listed = (name: string) => methods.find((m) => m.name === name);
    assert.equal(listed('sync.schedule')?.scope, 'read');
    assert.equal(listed('sync.run_nightly')?.scope, 'admin');
    assert.match(JSON.stringify(listed('sync.run_nightly')?.params), /wait_seconds/);
  });

  it('startScheduler schedules nothing', () => {
    const tasks = cron.getTasks().size;
    const stop = startScheduler(t.app);
    assert.equal(cron.getTasks().size, tasks, 'no node-cron task');
    stop();
  });
});

describe('sync.schedule with a cron in Europe/Berlin, and sync.run_nightly against the emulator', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ env: { SYNC_CRON: '30 4 * * *', SYNC_TZ: 'Europe/Berlin', TRACKED_DIRECTORIES: 'Demo Odoo' } });
  });
  after(() => rig.close());

  it('sync.schedule: the next firing at 04:30 Berlin time, the tracked directories, nothing run yet', async () => {
    const before = Date.now();
    const r = (await rig.bridge.rpc('sync.schedule')).result;
    assert.deepEqual(
      { ...r, next_fire_time: undefined },
      {
        enabled: true,
        cron: '30 4 * * *',
        timezone: 'Europe/Berlin',
        next_fire_time: undefined,
        tracked_directories: ['Demo Odoo'],
        last_firing: null,
        last_nightly: null,
      },
    );
    assert.equal(berlinTime(r.next_fire_time), '04:30:00');
    const next = new Date(r.next_fire_time).getTime();
    assert.ok(next > before && next <= before + 25 * 3600_000, 'within the next day (25 h on the day clocks go back)');
    assert.equal(r.next_fire_time, nextRunOf('30 4 * * *', new Date(before), 'Europe/Berlin')?.toISOString());
  });

  it('sync.run_nightly: a nightly now over the tracked directory, waited for; sync.schedule then shows it', async () => {
    const r = await rig.bridge.rpc('sync.run_nightly', { wait_seconds: 100 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const night = r.result;
    assert.equal(night.kind, 'nightly');
    assert.equal(night.state, 'succeeded', night.message);
    assert.equal(night.projects_total, 3);
    assert.equal(night.projects_synced, 3);
    assert.equal(night.children.length, 3);
    for (const c of night.children) assert.equal(c.state, 'succeeded');

    const schedule = (await rig.bridge.rpc('sync.schedule')).result;
    assert.equal(schedule.last_nightly.run_id, night.run_id);
    assert.equal(schedule.last_nightly.state, 'succeeded');
    assert.equal(schedule.last_firing, null, 'a nightly asked for by hand is no firing of the schedule');
    const stats = rig.emulator.stats();
    assert.equal(stats.logins, stats.logouts, 'no LogiKal session left open');
  });
});

describe('startScheduler: a missed firing caught up at start-up, then one nightly per firing at its scheduled second', () => {
  let rig: Rig;
  const stops: Array<() => void> = [];
  before(async () => {
    rig = await startRig({ env: { SYNC_CRON: '*/3 * * * * *', TRACKED_DIRECTORIES: 'Demo Odoo' } });
  });
  after(async () => {
    for (const stop of stops) stop();
    await rig.close();
  });

  const lastFiring = async () => (await rig.bridge.rpc('sync.schedule')).result.last_firing as string | null;
  async function until<T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== null) return v;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** Every run finished: the nightly runs and their children. */
  async function settled(): Promise<Array<{ run_id: number; kind: string; state: string }>> {
    return until('every run to finish', async () => {
      const runs = (await rig.bridge.rpc('sync.runs', { limit: 200 })).result as Array<{ run_id: number; kind: string; state: string }>;
      return runs.some((r) => r.state === 'queued' || r.state === 'running') ? null : runs;
    });
  }

  it('catch-up: the latest scheduled time, later than the last recorded firing, fires once as a catch-up', async () => {
    const nightlies = rig.bridge.app.services.sync.nightlies;
    // An hourly schedule whose last recorded firing is two hours old: every instance was down since.
    const hourly = '0 * * * *';
    const old = await nightlies.fire(new Date(Math.floor(Date.now() / 3600_000 - 2) * 3600_000), 'cron');
    assert.equal(old.outcome, 'started');
    await settled();
    const app = rig.bridge.app;
    stops.push(startScheduler({ ...app, config: { ...app.config, syncCron: hourly } }));
    const caught = await until('the catch-up firing', async () => {
      const at = await lastFiring();
      return at !== old.fire_at ? at : null;
    });
    stops.pop()!();
    assert.equal(caught, previousRunOf(hourly, new Date())?.toISOString(), 'the latest hour, not the two missed');
    // The firing is claimed a moment before its nightly run exists: wait for the run, then for it to end.
    await until('the caught-up nightly', async () => ((await nightlies.lastNightly())?.fire_at === caught ? true : null));
    await settled();
    const night = await nightlies.lastNightly();
    assert.equal(night?.fire_at, caught, 'the caught-up nightly stands for the missed scheduled time');
    assert.equal(night?.state, 'succeeded', night?.message);
    assert.equal(
      (await rig.bridge.rpc('sync.runs', { limit: 200 })).result.filter((r: { kind: string }) => r.kind === 'nightly').length,
      2,
    );
  });

  it('every three seconds: firings at whole multiples of 3 s, nightly runs that all finish, no session left open', async () => {
    const before = await lastFiring();
    stops.push(startScheduler(rig.bridge.app));
    const first = await until('a firing', async () => {
      const at = await lastFiring();
      return at !== before ? at : null;
    });
    await until('a later firing', async () => ((await lastFiring()) ?? '') > first || null);
    stops.pop()!();
    const last = await lastFiring();
    // A firing is claimed a moment before it records its outcome (and creates its nightly): wait for that.
    const firings = rig.bridge.app.services.db.reader.getRepository(NightlyFiring);
    await until('the last firing’s outcome', async () =>
      (await firings.findOneBy({ fireAt: new Date(last!) }))?.outcome !== 'claimed' ? true : null,
    );
    const runs = await settled();
    for (const at of [first, (await lastFiring())!]) assert.equal(new Date(at).getTime() % 3000, 0, `${at} is a scheduled second`);
    const nightly = runs.filter((r) => r.kind === 'nightly');
    assert.ok(nightly.length >= 3, 'the two earlier ones and at least one fired by the schedule');
    assert.ok(
      nightly.every((r) => r.state === 'succeeded'),
      JSON.stringify(nightly.map((r) => r.state)),
    );
    const stats = rig.emulator.stats();
    assert.equal(stats.logins, stats.logouts, 'no LogiKal session left open');
  });
});
