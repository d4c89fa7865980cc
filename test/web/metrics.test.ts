import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../server/paths';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { BOOTSTRAP_KEY } from '../helpers/test-app';
import { parsePrometheusText, type Exposition } from '../helpers/prometheus-text';

const M = 'logikal_bridge_';

describe('GET /metrics', () => {
  let rig: Rig;
  let readKey: string;
  let syncOnlyKey: string;
  before(async () => {
    rig = await startRig();
    readKey = (await rig.bridge.app.services.apiKeys.create('metrics-reader', ['read'])).key;
    syncOnlyKey = (await rig.bridge.app.services.apiKeys.create('sync-only', ['sync'])).key;
  });
  after(() => rig.close());

  const scrape = async (key: string | null): Promise<Response> =>
    fetch(`${rig.bridge.url}/metrics`, { headers: key === null ? {} : { Authorization: `Bearer ${key}` } });

  const metrics = async (): Promise<Exposition> => {
    const res = await scrape(readKey);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await res.text());
  };

  it('answers 401 without a key, with a wrong key and with a key lacking the read scope', async () => {
    for (const key of [null, 'lkb_wrong-key-0123456789', syncOnlyKey]) {
      const res = await scrape(key);
      assert.equal(res.status, 401, String(key));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      assert.doesNotMatch(await res.text(), /logikal_bridge_/);
    }
  });

  it('is Prometheus text with every documented family and prom-client process metrics', async () => {
    const m = await metrics();
    const expected: Array<[string, string]> = [
      [`${M}sync_runs_total`, 'counter'],
      [`${M}sync_duration_seconds`, 'histogram'],
      [`${M}logikal_request_duration_seconds`, 'histogram'],
      [`${M}logikal_sessions_open`, 'gauge'],
      [`${M}logikal_sessions_max`, 'gauge'],
      [`${M}logikal_login_refusals_total`, 'counter'],
      [`${M}parts_list_parse_seconds`, 'histogram'],
      [`${M}rpc_requests_total`, 'counter'],
      [`${M}rpc_duration_seconds`, 'histogram'],
      ['process_cpu_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ];
    for (const [name, type] of expected) assert.equal(m.types.get(name), type, name);
    assert.equal(m.value(`${M}logikal_sessions_max`), 4);
    assert.equal(m.value(`${M}logikal_sessions_open`), 0);
  });

  it('moves after a force sync: runs, durations, LogiKal requests by endpoint template, parses, RPC calls', async () => {
    const before = await metrics();
    const loginsBefore = rig.emulator.stats().logins;
    const r = await rig.bridge.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: 'Demo Odoo', wait_seconds: 60 });
    assert.equal(r.result?.state, 'succeeded', JSON.stringify(r.error ?? r.result?.message));
    await rig.bridge.rpc('sync.status', { run_id: 999_999 });
    await rig.bridge.rpc('no.such_method', {});
    const m = await metrics();
    const delta = (name: string, labels?: Record<string, string>): number => m.value(name, labels) - before.value(name, labels);

    assert.equal(delta(`${M}sync_runs_total`, { kind: 'force_project', state: 'succeeded' }), 1);
    assert.equal(delta(`${M}sync_duration_seconds_count`, { kind: 'force_project' }), 1);
    assert.ok(delta(`${M}sync_duration_seconds_sum`, { kind: 'force_project' }) > 0);
    assert.equal(delta(`${M}parts_list_parse_seconds_count`), 17);
    const thumbnails = delta(`${M}logikal_request_duration_seconds_count`, { endpoint: 'GET /elevations/{id}/thumbnail', status: '200' });
    assert.equal(thumbnails, 17);
    // Every login LogiKal saw (how many a sync needs depends on whether LogiKal allows sibling selects).
    const logins = rig.emulator.stats().logins - loginsBefore;
    assert.ok(logins > 1);
    assert.equal(delta(`${M}logikal_request_duration_seconds_count`, { endpoint: 'POST /auth', status: '200' }), logins);
    const endpoints = new Set(
      m.samples.filter((s) => s.name === `${M}logikal_request_duration_seconds_count`).map((s) => s.labels.endpoint),
    );
    for (const e of endpoints) assert.doesNotMatch(e, /[0-9a-f]{8}-[0-9a-f]{4}/i, `no GUID in the endpoint label: ${e}`);
    assert.equal(delta(`${M}rpc_requests_total`, { method: 'sync.force_project', outcome: 'ok' }), 1);
    assert.equal(delta(`${M}rpc_requests_total`, { method: 'sync.status', outcome: 'NotFoundError' }), 1);
    assert.equal(delta(`${M}rpc_requests_total`, { method: 'unknown', outcome: 'MethodNotFoundError' }), 1);
    assert.equal(delta(`${M}rpc_duration_seconds_count`, { method: 'sync.force_project' }), 1);
    assert.equal(m.value(`${M}logikal_sessions_open`), 0, 'every session logged out after the run');
  });

  it('the Grafana dashboard in docs/ charts only metrics the bridge exposes', async () => {
    const m = await metrics();
    const dashboard = readFileSync(join(repoRoot(), 'docs', 'grafana-dashboard.json'), 'utf8');
    const used = new Set([...dashboard.matchAll(/\b(logikal_bridge_\w+|process_\w+|nodejs_\w+)/g)].map((x) => x[1]));
    assert.ok(used.size >= 8);
    for (const name of used) {
      const family = name.replace(/_(bucket|count|sum)$/, '');
      assert.ok(m.types.has(family) || m.types.has(name), `${name} is exposed`);
    }
  });

  it('the bootstrap key may scrape too (it has every scope)', async () => {
    assert.equal((await scrape(BOOTSTRAP_KEY)).status, 200);
  });
});

describe('GET /metrics: licence refusals', () => {
  it('counts the logins LogiKal refused for its licence cap', async () => {
    // The bridge may open 4 sessions; this LogiKal has 2 seats.
    const rig = await startRig({ emulator: { maxSessions: 2 } });
    try {
      const r = await rig.bridge.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: 'Demo Odoo', wait_seconds: 60 });
      assert.equal(r.result?.state, 'succeeded', JSON.stringify(r.error ?? r.result?.message));
      const res = await fetch(`${rig.bridge.url}/metrics`, { headers: { Authorization: `Bearer ${BOOTSTRAP_KEY}` } });
      const m = parsePrometheusText(await res.text());
      assert.ok(m.value(`${M}logikal_login_refusals_total`) > 0, 'refusals counted');
      assert.equal(m.value(`${M}logikal_sessions_max`), 4);
    } finally {
      await rig.close();
    }
  });
});
