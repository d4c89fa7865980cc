import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from '../helpers/test-app';
import { launchChromium, watchedPage } from '../helpers/browser';

/** The status page's nightly tile, read in Chromium: what the schedule is (or that it is off) and how the last nightly went. */
describe("the status page's nightly tile in Chromium", () => {
  let browser: Browser;
  let rig: Rig;
  let off: TestApp;
  before(async () => {
    browser = await launchChromium();
    [rig, off] = await Promise.all([
      startRig({ env: { SYNC_CRON: '30 4 * * *', SYNC_TZ: 'Europe/Berlin', TRACKED_DIRECTORIES: 'Demo Odoo' } }),
      startTestApp({ SYNC_CRON: 'OFF' }),
    ]);
  });
  after(async () => {
    await browser?.close();
    await Promise.all([rig?.close(), off?.close()]);
  });

  /** The tile's text once signed in, and the page's console errors. */
  async function tileText(url: string): Promise<string> {
    // A fixed locale: the check reads the time as the browser formats it.
    const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'America/New_York' });
    try {
      const { page, errors } = await watchedPage(context);
      await page.goto(url + '/');
      await page.getByLabel('API key').fill(BOOTSTRAP_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const tile = page.locator('.tile', { hasText: 'Next nightly sync' });
      await tile.waitFor();
      const text = await tile.innerText();
      assert.deepEqual(errors, [], 'no console errors');
      return text;
    } finally {
      await context.close();
    }
  }

  it('SYNC_CRON=off: disabled, and no nightly yet', async () => {
    const text = await tileText(off.url);
    assert.match(text, /Next nightly sync\s+disabled\s+SYNC_CRON=off · no nightly has run yet/);
  });

  it("a cron in Europe/Berlin: the next firing in Berlin's time (not the browser's), then the last nightly's summary", async () => {
    const before = await tileText(rig.bridge.url);
    assert.match(
      before,
      /Next nightly sync\s+\d+ \w+ \d{4}, 04:30\s/,
      'the next firing at 04:30 Berlin time, though the browser is in New York',
    );
    assert.match(before, /cron 30 4 \* \* \* in Europe\/Berlin · no nightly has run yet/);

    const night = await rig.bridge.rpc('sync.run_nightly', { wait_seconds: 100 });
    assert.equal(night.result?.state, 'succeeded', JSON.stringify(night.error ?? night.result?.message));
    const after = await tileText(rig.bridge.url);
    assert.match(after, /last succeeded: 3 of 3 projects synced \(/);
    assert.doesNotMatch(after, /failed/);
  });
});
