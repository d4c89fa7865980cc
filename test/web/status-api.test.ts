import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestApp } from '../helpers/test-app';
import { seededApp, type Seed } from '../odoo/odoo-fixture';

/** The status page's HTTP contract: what a browser may do, and what a forged or cross-site request may not. */
describe('status page: sign-in, CSRF and origin checks, authenticated data', () => {
  let t: TestApp;
  let s: Seed;
  let syncKey: string;
  let readKey: string;
  before(async () => {
    ({ t, s } = await seededApp());
    syncKey = (await t.app.services.apiKeys.create('page-operator', ['read', 'sync'])).key;
    readKey = (await t.app.services.apiKeys.create('page-viewer', ['read'])).key;
  });
  after(() => t.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/status/api/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  async function signIn(key: string): Promise<{ cookie: string; csrf: string }> {
    const res = await post('session', { key });
    const body: any = await res.json();
    assert.equal(body.signed_in, true);
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^lkb_status=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    assert.ok(!setCookie.includes(key) && !JSON.stringify(body).includes(key));
    return { cookie: setCookie.split(';')[0], csrf: body.csrf_token };
  }

  it('serves the page and its script with a strict Content-Security-Policy, and nothing else from disk', async () => {
    const page = await fetch(`${t.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<label for="api-key">API key<\/label>/);
    assert.equal((await fetch(`${t.url}/status/assets/status-page.js`)).status, 200);
    assert.equal((await fetch(`${t.url}/status/assets/../../package.json`)).status, 404);
    assert.equal((await fetch(`${t.url}/status/assets/status.html`)).status, 404);
    assert.equal((await fetch(`${t.url}/nope`)).status, 404, '/ is the page, not a catch-all');
  });

  it('without a session: no data, no thumbnails; a wrong or scope-less key does not sign in', async () => {
    assert.equal((await fetch(`${t.url}/status/api/overview`)).status, 401);
    assert.equal((await fetch(`${t.url}/status/api/projects/${s.p1}`)).status, 401);
    assert.equal((await fetch(`${t.url}/status/api/thumbnails/${s.pos1}`)).status, 401);
    assert.deepEqual(await (await fetch(`${t.url}/status/api/session`)).json(), { signed_in: false });
    const wrong = await post('session', { key: 'lkb_wrong-0123456789abcdef' });
    assert.equal(wrong.status, 200);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.match(((await wrong.json()) as any).message, /not accepted/);
  });

  it('with a session: overview, a project, a thumbnail as an image', async () => {
    const { cookie } = await signIn(readKey);
    const overview: any = await (await fetch(`${t.url}/status/api/overview`, { headers: { Cookie: cookie } })).json();
    assert.ok(overview.projects.some((p: any) => p.name === 'DOS22309'));
    assert.equal(overview.logikal.sessions_max, 4);
    assert.equal(overview.schema.migrations, 'current');
    const project: any = await (await fetch(`${t.url}/status/api/projects/${s.p1}`, { headers: { Cookie: cookie } })).json();
    assert.equal(project.name, 'DOS22309');
    assert.ok(project.phases.some((ph: any) => ph.is_default));
    const withThumb = project.phases.flatMap((ph: any) => ph.elevations).find((e: any) => e.thumbnail);
    const img = await fetch(`${t.url}/status/api/thumbnails/${withThumb.id}`, { headers: { Cookie: cookie } });
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/png');
    assert.equal((await fetch(`${t.url}/status/api/projects/999999`, { headers: { Cookie: cookie } })).status, 404);
  });

  it('sync buttons: the CSRF token, the same origin and the sync scope are all required', async () => {
    const { cookie, csrf } = await signIn(syncKey);
    const sync = (headers: Record<string, string>) => post(`projects/${s.p1}/sync`, { mode: 'smart' }, { Cookie: cookie, ...headers });
    assert.equal((await sync({})).status, 403, 'no token');
    assert.equal((await sync({ 'X-CSRF-Token': 'forged' })).status, 403, 'wrong token');
    assert.equal((await sync({ 'X-CSRF-Token': csrf, Origin: 'http://evil.example' })).status, 403, 'foreign origin');
    assert.equal((await sync({ 'X-CSRF-Token': csrf, 'Sec-Fetch-Site': 'cross-site' })).status, 403, 'cross-site fetch');
    // Past every gate: this bridge has no LogiKal configured, which is what it says.
    const passed = await sync({ 'X-CSRF-Token': csrf, Origin: t.url });
    assert.equal(passed.status, 422);
    assert.match(((await passed.json()) as any).error, /Logikal is not configured/);

    const viewer = await signIn(readKey);
    const refused = await post(`projects/${s.p1}/sync`, { mode: 'smart' }, { Cookie: viewer.cookie, 'X-CSRF-Token': viewer.csrf });
    assert.equal(refused.status, 401);
    assert.match(((await refused.json()) as any).error, /lacks the "sync" scope/);
    assert.equal((await post('session', { key: readKey }, { Origin: 'http://evil.example' })).status, 403, 'no sign-in from another site');
  });

  it('sign out needs the token and ends the session; a revoked key ends it too', async () => {
    const { cookie, csrf } = await signIn(readKey);
    assert.equal((await post('session/end', {}, { Cookie: cookie })).status, 403);
    assert.equal((await post('session/end', {}, { Cookie: cookie, 'X-CSRF-Token': csrf })).status, 200);
    assert.equal((await fetch(`${t.url}/status/api/overview`, { headers: { Cookie: cookie } })).status, 401);

    const temp = await t.app.services.apiKeys.create('page-temp', ['read']);
    const live = await signIn(temp.key);
    assert.equal((await fetch(`${t.url}/status/api/overview`, { headers: { Cookie: live.cookie } })).status, 200);
    await t.app.services.apiKeys.revoke('page-temp');
    assert.equal((await fetch(`${t.url}/status/api/overview`, { headers: { Cookie: live.cookie } })).status, 401);
  });
});
