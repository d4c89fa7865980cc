import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from '../helpers/test-app';

describe('JSON-RPC transport over real HTTP', () => {
  let t: TestApp;
  let readKey: string;
  let runId: number;
  before(async () => {
    t = await startTestApp();
    readKey = (await t.app.services.apiKeys.create('odoo-reader', ['read'])).key;
    // A finished run to read back (no Logikal needed): a failed sync of an unconfigured bridge is refused, so seed one.
    const { run } = await t.app.services.sync.runs.begin(
      'force_project',
      { directoryPath: 'Demo Odoo', projectRef: 'DOS1' },
      'project:x',
      'test',
    );
    await t.app.services.sync.runs.finish(run.id, 'succeeded', 'done', []);
    runId = run.id;
  });
  after(async () => {
    await t.close();
  });

  it('system.version is open and answers', async () => {
    const r = await t.rpc('system.version', undefined, null);
    assert.equal(r.result.name, 'logikal-bridge');
    assert.match(r.result.version, /^\d+\.\d+\.\d+/);
  });

  it('takes params by name and by position', async () => {
    const named = await t.rpc('sync.status', { run_id: runId });
    const positional = await t.rpc('sync.status', [runId]);
    assert.equal(named.result.run_id, runId);
    assert.equal(named.result.state, 'succeeded');
    assert.deepEqual(positional.result, named.result);
  });

  it("answers Odoo's call envelope, including an explicit null id", async () => {
    const r = await t.post(
      { jsonrpc: '2.0', method: 'call', params: { service: 'sync', method: 'status', args: [runId], kwargs: {} }, id: null },
      { Authorization: `Bearer ${BOOTSTRAP_KEY}` },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.id, null);
    assert.equal(r.body.result.run_id, runId);
    const kw = await t.post(
      { jsonrpc: '2.0', method: 'call', params: { service: 'sync', method: 'runs', args: [], kwargs: { limit: 1 } }, id: 5 },
      { Authorization: `Bearer ${BOOTSTRAP_KEY}` },
    );
    assert.equal(kw.body.result.length, 1);
  });

  it('runs batches and caps their length', async () => {
    const batch = [
      { jsonrpc: '2.0', method: 'system.version', id: 1 },
      { jsonrpc: '2.0', method: 'sync.status', params: { run_id: runId }, id: 2 },
      { jsonrpc: '2.0', method: 'no.such', id: 3 },
    ];
    const r = await t.post(batch, { Authorization: `Bearer ${BOOTSTRAP_KEY}` });
    assert.equal(r.status, 200);
    const byId = new Map(r.body.map((x: any) => [x.id, x]));
    assert.equal((byId.get(1) as any).result.name, 'logikal-bridge');
    assert.equal((byId.get(2) as any).result.run_id, runId);
    assert.equal((byId.get(3) as any).error.code, -32601);
    const big = await t.post(Array.from({ length: 21 }, (_, i) => ({ jsonrpc: '2.0', method: 'system.version', id: i })));
    assert.equal(big.body.error.code, -32600);
    assert.match(big.body.error.message, /at most 20/);
    assert.equal(big.body.error.data.name, 'builtins.ValueError');
  });

  it('answers each batch element that is not an object with its own -32600 (a nested batch hung the connection)', async () => {
    const post = async (body: unknown) => {
      const res = await fetch(`${t.url}/jsonrpc`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return (await res.json()) as any;
    };
    const version = { jsonrpc: '2.0', method: 'system.version', id: 7 };
    const invalid = (r: any) => {
      assert.equal(r.id, null);
      assert.equal(r.error.code, -32600);
      assert.equal(r.error.data.name, 'builtins.ValueError');
    };
    for (const element of [[version], 1, 'x', null, true]) {
      const r = await post([element]);
      assert.equal(r.length, 1, JSON.stringify(element));
      invalid(r[0]);
    }
    const mixed = await post([version, [version], 1, 'x']);
    assert.equal(mixed.length, 4);
    assert.equal(mixed.find((r: any) => r.id === 7).result.name, 'logikal-bridge');
    mixed.filter((r: any) => r.id !== 7).forEach(invalid);
    // A notification has no answer; the invalid element beside it still has one.
    const withNotification = await post([{ jsonrpc: '2.0', method: 'system.version' }, 42]);
    assert.equal(withNotification.length, 1);
    invalid(withNotification[0]);
    const empty = await post([]);
    invalid(empty);
  });

  it('refuses bodies over 1 MiB with 413 before parsing', async () => {
    const r = await t.post('x'.repeat(1024 * 1024 + 10));
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, -32600);
  });

  it('answers malformed JSON with a JSON-RPC parse error, not HTML', async () => {
    const r = await t.post('{"jsonrpc": "2.0", "method": ');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(r.body.error.code, -32700);
    assert.equal(r.body.error.data.debug, '');
  });

  it('answers invalid requests and unknown methods with standard codes and Odoo data', async () => {
    const invalid = await t.post({ jsonrpc: '2.0', method: 42, id: 1 });
    assert.equal(invalid.body.error.code, -32600);
    const unknown = await t.rpc('sync.nope', {});
    assert.equal(unknown.error.code, -32601);
    assert.deepEqual(Object.keys(unknown.error.data).sort(), ['arguments', 'context', 'debug', 'message', 'name']);
    const proto = await t.rpc('__proto__', {});
    assert.equal(proto.error.code, -32601);
  });

  it('rejects wrong or missing params with -32602 naming the param', async () => {
    const missing = await t.rpc('sync.status', {});
    assert.equal(missing.error.code, -32602);
    assert.match(missing.error.message, /run_id/);
    const wrongType = await t.rpc('sync.status', { run_id: 'seven' });
    assert.match(wrongType.error.message, /run_id.*integer/);
    const unknown = await t.rpc('sync.status', { run_id: 1, colour: 'red' });
    assert.match(unknown.error.message, /unknown param "colour"/);
    const tooMany = await t.rpc('sync.status', [1, 2]);
    assert.equal(tooMany.error.code, -32602);
    const range = await t.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: 'Demo Odoo', wait_seconds: 500 });
    assert.match(range.error.message, /wait_seconds/);
    const path = await t.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: '../../etc' + '\u0000' });
    assert.match(path.error.message, /directory_id/);
  });

  it('denies a missing, wrong or insufficient key', async () => {
    const none = await t.rpc('sync.status', { run_id: runId }, null);
    assert.equal(none.error.code, -32001);
    assert.equal(none.error.data.name, 'odoo.exceptions.AccessDenied');
    const wrong = await t.rpc('sync.status', { run_id: runId }, 'lkb_not-a-real-key');
    assert.equal(wrong.error.code, -32001);
    const reader = await t.rpc('sync.status', { run_id: runId }, readKey);
    assert.equal(reader.result.run_id, runId);
    const insufficient = await t.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: 'Demo Odoo' }, readKey);
    assert.equal(insufficient.error.code, -32001);
    assert.match(insufficient.error.message, /"sync" scope/);
    await t.app.services.apiKeys.revoke('odoo-reader');
    const revoked = await t.rpc('sync.status', { run_id: runId }, readKey);
    assert.equal(revoked.error.code, -32001);
  });

  it('reports an unknown run as a not-found error', async () => {
    const r = await t.rpc('sync.status', { run_id: 999999 });
    assert.equal(r.error.data.name, 'odoo.exceptions.MissingError');
  });

  it('GET /health is 200 with the database up and migrations current', async () => {
    const res = await fetch(`${t.url}/health`);
    assert.equal(res.status, 200);
    const h = (await res.json()) as any;
    assert.equal(h.database, 'ok');
    assert.equal(h.migrations, 'current');
  });
});
