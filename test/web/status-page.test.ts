import '../helpers/test-env';
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { forceSync } from '../helpers/sync-checks';
import { launchChromium, watchedPage } from '../helpers/browser';
import { repoRoot } from '../../server/paths';
import { dialect } from '../helpers/test-env';

/** P05 of DOS22309: its parts list is corrupted in the last sync, so the page has a failure to show. */
const P05 = '45f58703-8557-450c-9f1a-40bbb8cf83e3';

describe('the status page in Chromium', () => {
  let rig: Rig;
  let browser: Browser;
  let operatorKey: string;
  let viewerKey: string;
  const open: Array<{ context: BrowserContext; errors: string[] }> = [];

  before(async () => {
    browser = await launchChromium();
    rig = await startRig();
    operatorKey = (await rig.bridge.app.services.apiKeys.create('operator', ['read', 'sync'])).key;
    viewerKey = (await rig.bridge.app.services.apiKeys.create('viewer', ['read'])).key;
    const listed = await rig.bridge.rpc('sync.projects', { directory_id: 'Demo Odoo', wait_seconds: 30 });
    assert.equal(listed.result?.state, 'succeeded', JSON.stringify(listed.error ?? listed.result));
    const night = await rig.bridge.app.services.sync.nightlies.runNow(120, 'test');
    assert.equal(night?.state, 'succeeded', night?.message);
    rig.emulator.setFaults({ corruptPartsLists: [P05], corruptKind: 'not-sqlite' });
    const partial = await forceSync(rig, 'DOS22309');
    rig.emulator.setFaults({});
    assert.equal(partial.state, 'partial', partial.message);
  });
  after(async () => {
    await browser?.close();
    await rig?.close();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.context.close();
      assert.deepEqual(o.errors, [], 'no console errors in Chromium');
    }
  });

  async function page(width = 1280): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const w = await watchedPage(context);
    open.push({ context, errors: w.errors });
    await w.page.goto(rig.bridge.url + '/');
    return w.page;
  }

  async function signIn(p: Page, key: string): Promise<void> {
    await p.getByLabel('API key').fill(key);
    await p.getByRole('button', { name: 'Sign in' }).click();
  }

  it('refuses a wrong key with a clear message and sets no cookie', async () => {
    const p = await page();
    await signIn(p, 'lkb_this-is-not-a-key-0123456789');
    await p.getByText('That API key was not accepted').waitFor();
    assert.equal(await p.locator('#app').isVisible(), false);
    assert.deepEqual(await p.context().cookies(), []);
    assert.equal(await p.getByLabel('API key').inputValue(), '', 'the field is cleared');
  });

  it('signs in: runs with live state, the nightly run with its children, failures with reasons, projects, health', async () => {
    const p = await page();
    await signIn(p, operatorKey);
    await p.getByRole('heading', { name: 'Recent sync runs' }).waitFor();
    const nightly = p.locator('#runs li.row', { hasText: 'nightly' }).first();
    assert.ok((await nightly.locator('.children > li').count()) >= 3, 'the nightly run lists its project runs');
    await nightly.locator('.children').getByRole('link', { name: 'DOS22410', exact: true }).waitFor();
    const partial = p.locator('#runs li.row', { has: p.locator('.state-partial') }).first();
    await partial.getByText(/P05: .*parts list/i).waitFor();
    assert.match(await p.locator('.tiles').innerText(), /LogiKal sessions in use\s+0 of 4/);
    assert.match(await p.locator('.tiles').innerText(), /Next nightly sync/);
    assert.match(await p.locator('.tiles').innerText(), /migrations current/);
    await p.locator('#projects').getByRole('link', { name: 'DOS22309', exact: true }).waitFor();
    const projects = await p.locator('#projects li.row').count();
    assert.ok(projects >= 3);
    assert.equal(await p.getByRole('button', { name: 'Smart sync' }).count(), projects, 'one per project for a sync key');

    // The key is nowhere the page or the browser keeps things.
    assert.ok(!p.url().includes(operatorKey));
    assert.ok(!(await p.content()).includes(operatorKey));
    const stored = await p.evaluate('JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage }, c: document.cookie })');
    assert.equal(stored, '{"l":{},"s":{},"c":""}');
    const cookies = await p.context().cookies();
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0].name, 'lkb_status');
    assert.equal(cookies[0].httpOnly, true);
    assert.equal(cookies[0].sameSite, 'Strict');
    assert.ok(!cookies[0].value.includes(operatorKey));

    if (process.env.WRITE_DOCS_SCREENSHOT === '1' && dialect === 'sqlite') {
      mkdirSync(join(repoRoot(), 'docs'), { recursive: true });
      await p.screenshot({ path: join(repoRoot(), 'docs', 'status-page.png') });
    }
  });

  it("a project's view: every phase (the default one too), thumbnails that load, parsed data, the failed parse's reason", async () => {
    const p = await page();
    await signIn(p, viewerKey);
    await p.locator('#projects').getByRole('link', { name: 'DOS22309', exact: true }).click();
    await p.getByRole('heading', { name: 'DOS22309', level: 2 }).waitFor();
    assert.equal(await p.locator('section.phase').count(), 2);
    assert.equal(await p.locator('section.phase h3', { hasText: '(default phase)' }).count(), 1);
    const images = p.locator('.elevation img');
    assert.equal(await images.count(), 17);
    await p.waitForFunction(() => [...(globalThis as any).document.querySelectorAll('.elevation img')].every((i: any) => i.complete));
    const loaded = await images.evaluateAll((imgs) =>
      imgs.map((i) => ({ alt: i.getAttribute('alt'), width: (i as unknown as { naturalWidth: number }).naturalWidth })),
    );
    for (const img of loaded) assert.ok(img.width > 0, `${img.alt} loaded`);
    const names = await p.locator('.elevation').evaluateAll((els) => els.map((e) => e.getAttribute('data-elevation')));
    assert.deepEqual(
      loaded.map((i) => i.alt),
      names,
      "each thumbnail's alt text is its elevation's name",
    );
    const card = p.locator('.elevation', { has: p.locator('h4', { hasText: 'P01' }) }).first();
    const facts = await card.locator('.facts').innerText();
    assert.match(facts, /System\s+\S+/);
    assert.match(facts, /Size\s+[\d.]+ × [\d.]+/);
    assert.match(facts, /Weight\s+[\d.]+/);
    assert.match(facts, /Parts\s+[1-9]\d*/);
    assert.match(facts, /Glass\s+\S+/);
    await p
      .locator('.elevation', { has: p.locator('h4', { hasText: 'P05' }) })
      .getByText(/Parse failed: .*parts list/i)
      .waitFor();
    assert.equal(await p.getByRole('button', { name: 'Smart sync' }).count(), 0, 'a read key gets no sync buttons');
  });

  it('a sync key starts a smart sync from the project view and watches it finish', async () => {
    const p = await page();
    await signIn(p, operatorKey);
    await p.locator('#projects').getByRole('link', { name: 'DOS22309', exact: true }).click();
    await p.getByRole('heading', { name: 'DOS22309', level: 2 }).waitFor();
    const before = await p.locator('[data-run]').count();
    await p.getByRole('button', { name: 'Smart sync' }).click();
    await p.waitForFunction((n) => (globalThis as any).document.querySelectorAll('[data-run]').length > n, before);
    const newest = p.locator('[data-run]').first();
    await newest.locator('.state-succeeded').waitFor({ timeout: 30_000 });
    assert.match(await newest.innerText(), /project/);
  });

  it('is readable at a phone width (no sideways scrolling) and signs out', async () => {
    const p = await page(390);
    await signIn(p, operatorKey);
    await p.getByRole('heading', { name: 'Recent sync runs' }).waitFor();
    const overflow = (): Promise<boolean> => p.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth');
    assert.equal(await overflow(), false, 'overview fits');
    await p.locator('#projects').getByRole('link', { name: 'DOS22309', exact: true }).click();
    await p.getByRole('heading', { name: 'DOS22309', level: 2 }).waitFor();
    assert.equal(await overflow(), false, 'project view fits');

    const [cookie] = await p.context().cookies();
    // The server has ended the session once its answer to the sign-out is in (the form may show earlier).
    const ended = p.waitForResponse((r) => r.url().endsWith('/status/api/session/end'));
    await p.getByRole('button', { name: 'Sign out' }).click();
    await ended;
    await p.getByLabel('API key').waitFor();
    assert.equal(await p.locator('#app').isVisible(), false);
    const stale = await fetch(`${rig.bridge.url}/status/api/overview`, { headers: { Cookie: `lkb_status=${cookie.value}` } });
    assert.equal(stale.status, 401, 'the old cookie no longer works');
  });
});
