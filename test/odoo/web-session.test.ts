import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestApp } from '../helpers/test-app';
import { BOOTSTRAP_KEY } from '../helpers/test-app';
import { repoRoot } from '../../server/paths';
import { seededApp, type Seed } from './odoo-fixture';

const run = promisify(execFile);

/** A web-style client: a cookie jar of one cookie, JSON-RPC `call` envelopes. */
class WebClient {
  cookie = '';
  constructor(private readonly url: string) {}

  async post(
    path: string,
    params: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; setCookie: string }> {
    const res = await fetch(this.url + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(this.cookie ? { Cookie: this.cookie } : {}), ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params, id: 7 }),
    });
    const setCookie = res.headers.get('set-cookie') ?? '';
    const m = /^session_id=([^;]*)/.exec(setCookie);
    if (m) this.cookie = m[1] ? `session_id=${m[1]}` : '';
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, setCookie };
  }
}

describe("Odoo's web-session API", () => {
  let t: TestApp;
  let s: Seed;
  let readKey: string;
  let readKeyId: number;
  before(async () => {
    ({ t, s } = await seededApp());
    const created = await t.app.services.apiKeys.create('odoo-web', ['read']);
    readKey = created.key;
    readKeyId = created.record.id;
  });
  after(() => t.close());

  it('version_info, authenticate, get_session_info, call_kw search_read, ir.model search, destroy', async () => {
    const c = new WebClient(t.url);
    const v = await c.post('/web/webclient/version_info', {});
    assert.equal(v.body.result.server_version, '17.0');
    assert.deepEqual(v.body.result.server_version_info, [17, 0, 0, 'final', 0, '']);

    const auth = await c.post('/web/session/authenticate', { db: 'logikal', login: 'odoo', password: readKey });
    assert.equal(auth.status, 200);
    assert.equal(auth.body.id, 7);
    assert.equal(auth.body.result.uid, readKeyId);
    assert.deepEqual(auth.body.result.user_context, { lang: 'en_US', tz: 'UTC', uid: readKeyId });
    assert.equal(auth.body.result.db, 'logikal');
    assert.match(auth.setCookie, /^session_id=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800$/);
    assert.ok(!auth.setCookie.includes(readKey) && !JSON.stringify(auth.body).includes(readKey), 'the key is never echoed');

    const info = await c.post('/web/session/get_session_info', {});
    assert.equal(info.body.result.uid, readKeyId);
    assert.equal(info.body.result.username, 'odoo');

    const rows = await c.post('/web/dataset/call_kw', {
      model: 'logikal.project',
      method: 'search_read',
      args: [[['name', '=', 'DOS22309']]],
      kwargs: { fields: ['name'], context: { lang: 'en_US', tz: 'UTC', uid: readKeyId } },
    });
    assert.deepEqual(rows.body.result, [{ id: s.p1, name: 'DOS22309' }]);
    const byPath = await c.post('/web/dataset/call_kw/logikal.project/search_count', {
      model: 'logikal.project',
      method: 'search_count',
      args: [[]],
      kwargs: {},
    });
    assert.equal(typeof byPath.body.result, 'number');

    const ir = await c.post('/web/dataset/call_kw', {
      model: 'ir.model',
      method: 'search',
      args: [[['model', '=', 'logikal.elevation']]],
      kwargs: {},
    });
    assert.equal(ir.body.result.length, 1);
    const irRows = await c.post('/web/dataset/call_kw', {
      model: 'ir.model',
      method: 'search_read',
      args: [[['model', 'ilike', 'logikal.']]],
      kwargs: { fields: ['model', 'name'], order: 'model' },
    });
    assert.deepEqual(
      irRows.body.result.map((r: any) => r.model),
      ['logikal.directory', 'logikal.elevation', 'logikal.elevation.glass', 'logikal.phase', 'logikal.project', 'logikal.sync.run'],
    );
    assert.equal(
      (await c.post('/web/dataset/call_kw', { model: 'ir.model', method: 'search', args: [[['model', '=', 'res.partner']]], kwargs: {} }))
        .body.result.length,
      0,
    );

    const destroyed = await c.post('/web/session/destroy', {});
    assert.equal(destroyed.body.result, null);
    assert.match(destroyed.setCookie, /^session_id=; .*Max-Age=0/);
  });

  it('answers like execute_kw: scopes, read-only models, unknown models and methods, Odoo error shapes', async () => {
    const c = new WebClient(t.url);
    await c.post('/web/session/authenticate', { db: 'logikal', login: 'odoo', password: readKey });
    const call = (model: string, method: string, args: unknown[] = [], kwargs = {}) =>
      c.post('/web/dataset/call_kw', { model, method, args, kwargs });

    const sync = await call('logikal.project', 'action_force_sync', [[s.p1]]);
    assert.equal(sync.body.error.code, 200);
    assert.equal(sync.body.error.message, 'Odoo Server Error');
    assert.equal(sync.body.error.data.name, 'odoo.exceptions.AccessDenied');
    assert.match(sync.body.error.data.message, /lacks the "sync" scope/);

    const write = await call('logikal.project', 'write', [[s.p1], { name: 'x' }]);
    assert.equal(write.body.error.data.name, 'odoo.exceptions.AccessError');
    assert.equal((await call('ir.model', 'create', [{ model: 'x' }])).body.error.data.name, 'odoo.exceptions.AccessError');
    assert.equal((await call('res.partner', 'search', [[]])).body.error.data.message, "Object res.partner doesn't exist");
    assert.equal((await call('logikal.project', 'frobnicate')).body.error.data.name, 'werkzeug.exceptions.NotFound');
    const bad = await call('logikal.project', 'search_read', [[['nope', '=', 1]]]);
    assert.equal(bad.body.error.data.name, 'builtins.ValueError');
    for (const k of ['name', 'message', 'arguments', 'context', 'debug']) assert.ok(k in bad.body.error.data, k);
  });

  it('without a live session call_kw is Odoo Session Expired: never signed in, signed out, key revoked', async () => {
    const anon = new WebClient(t.url);
    const expired = await anon.post('/web/dataset/call_kw', { model: 'logikal.project', method: 'search', args: [[]], kwargs: {} });
    assert.equal(expired.body.error.code, 100);
    assert.equal(expired.body.error.message, 'Odoo Session Expired');
    assert.equal(expired.body.error.data.name, 'odoo.http.SessionExpiredException');
    assert.equal((await anon.post('/web/session/get_session_info', {})).body.error.code, 100);

    anon.cookie = 'session_id=forged-value';
    assert.equal(
      (await anon.post('/web/dataset/call_kw', { model: 'ir.model', method: 'search', args: [[]], kwargs: {} })).body.error.code,
      100,
    );

    const key = await t.app.services.apiKeys.create('soon-revoked', ['read']);
    const c = new WebClient(t.url);
    await c.post('/web/session/authenticate', { db: 'logikal', login: 'odoo', password: key.key });
    assert.ok(
      Array.isArray((await c.post('/web/dataset/call_kw', { model: 'ir.model', method: 'search', args: [[]], kwargs: {} })).body.result),
    );
    await t.app.services.apiKeys.revoke('soon-revoked');
    assert.equal(
      (await c.post('/web/dataset/call_kw', { model: 'ir.model', method: 'search', args: [[]], kwargs: {} })).body.error.code,
      100,
    );

    const signedOut = new WebClient(t.url);
    await signedOut.post('/web/session/authenticate', { db: 'logikal', login: 'odoo', password: readKey });
    const cookie = signedOut.cookie;
    await signedOut.post('/web/session/destroy', {});
    signedOut.cookie = cookie;
    assert.equal((await signedOut.post('/web/session/get_session_info', {})).body.error.code, 100, 'the old cookie is dead');
  });

  it('refuses a wrong key or database with AccessDenied and sets no cookie; bodies must be JSON', async () => {
    const c = new WebClient(t.url);
    for (const params of [
      { db: 'logikal', login: 'odoo', password: 'lkb_not-a-key-0123456789' },
      { db: 'other', login: 'odoo', password: readKey },
      { db: 'logikal', login: 'odoo' },
    ]) {
      const r = await c.post('/web/session/authenticate', params);
      assert.equal(r.body.error.data.name, 'odoo.exceptions.AccessDenied', JSON.stringify(params));
      assert.equal(r.setCookie, '');
    }
    const form = await fetch(`${t.url}/web/session/authenticate`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{}',
    });
    assert.equal(form.status, 415);
    const broken = await fetch(`${t.url}/web/session/authenticate`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    assert.equal(broken.status, 400);
    assert.equal((await c.post('/web/nope', {})).status, 404);
    const version = await (await fetch(`${t.url}/web/version`)).json();
    assert.deepEqual(version, { version_info: [17, 0, 0, 'final', 0, ''], version: '17.0' });
  });

  it('OdooRPC (python3-odoorpc), unpatched: login, model checks through ir.model, search_read, browse, logout', async () => {
    const { hostname, port } = new URL(t.url);
    const script = join(repoRoot(), 'test', 'odoo', 'odoorpc', 'odoorpc_session.py');
    // Debian's interpreter: python3-odoorpc is installed for it (.ci/run installs the package).
    const { stdout } = await run('/usr/bin/python3', [script, hostname, port, 'logikal', BOOTSTRAP_KEY], { timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.equal(out.version, '17.0');
    assert.equal(typeof out.uid, 'number');
    assert.equal(out.context.tz, 'UTC');
    assert.equal(out.has_elevation_model, true);
    assert.equal(out.has_unknown_model, false);
    assert.deepEqual(
      out.projects.map((p: any) => [p.id, p.name]),
      [[s.p1, 'DOS22309']],
    );
    assert.ok(out.names.includes('DOS22309'));
    assert.ok(out.elevations > 0);
    assert.match(out.create, /read-only/);
    assert.equal(out.logout, true);
  });
});
