// The dashboard's edges in a real browser (Debian's chromium, driven by playwright-core) against the real server
// and database: a shop refreshed without any purchase (header, empty table, chart axes, movement tab), links with
// values the shop does not have (they fall back to the defaults and the URL is corrected), and a customer id typed
// with a leading space (opened exactly as typed).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { chromiumMissing, hasChromium } from '../../bench/web.ts';
import { buildWeb } from '../../web/build.ts';
import type { SnapshotsResponse } from '../../web/src/api.ts';
import { testDatabase } from '../helpers/db.ts';
import { collectConsoleErrors, loadShopFixture, serveDashboard } from './fixture.ts';

/**
 * Records the text each chart canvas shows: uPlot clears its canvas before every draw and writes axis labels with
 * fillText, so the list kept per canvas is what its last draw wrote, with the device x each label was drawn at.
 */
const recordCanvasText = `(() => {
  const drawn = new WeakMap();
  window.__canvasText = (canvas) => drawn.get(canvas) ?? [];
  const proto = CanvasRenderingContext2D.prototype;
  const clearRect = proto.clearRect;
  proto.clearRect = function (x, y, w, h) {
    if (x <= 0 && y <= 0 && w >= this.canvas.width && h >= this.canvas.height) drawn.set(this.canvas, []);
    return clearRect.call(this, x, y, w, h);
  };
  const fillText = proto.fillText;
  proto.fillText = function (text, x, y, ...rest) {
    const m = this.getTransform();
    if (!drawn.has(this.canvas)) drawn.set(this.canvas, []);
    drawn.get(this.canvas).push({ text: String(text), x: Math.round(m.a * x + m.c * y + m.e) });
    return fillText.call(this, text, x, y, ...rest);
  };
})()`;

/** The numeric labels of each value axis of a chart (labels drawn at one x are one axis), top to bottom as drawn. */
async function axisLabels(page: Page, testId: string): Promise<string[][]> {
  const texts = (await page.evaluate(
    `window.__canvasText(document.querySelector('[data-testid="${testId}"] canvas'))`,
  )) as { text: string; x: number }[];
  const byX = new Map<number, string[]>();
  for (const { text, x } of texts) if (/^[-\u2212]?[\d.,]+[kM%]?$/.test(text)) byX.set(x, [...(byX.get(x) ?? []), text]);
  return [...byX.values()];
}

const charts = ['segments-chart', 'monthly-chart', 'histogram-recency_days', 'histogram-frequency', 'histogram-monetary'];

t.test('empty shop, unknown link values and exact ids in headless Chromium', { skip: hasChromium() ? false : chromiumMissing }, async (t) => {
  const { sql, url } = await testDatabase(t);
  const webDir = mkdtempSync(path.join(os.tmpdir(), 'salesdash-web-'));
  await buildWeb(webDir);
  const { app, baseUrl, browser, screenshots } = await serveDashboard(t, url, webDir);

  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    await context.addInitScript(recordCanvasText);
    const page = await context.newPage();
    const consoleErrors = collectConsoleErrors(page);
    const requested: string[] = [];
    // The API requests, with their queries (the page's own address holds the unknown values under test).
    page.on('request', (request) => {
      const asked = new URL(request.url());
      if (asked.pathname.startsWith('/api/')) requested.push(asked.pathname + asked.search);
    });

    await t.test('a refresh of a shop without purchases: the header says when, nothing is shown as a figure', async (t) => {
      await sql`select salesdash.refresh_rfm()`;
      const [status] = await sql<{ refreshed_on: string; reference_date: string | null }[]>`
        select to_char(refreshed_at at time zone 'UTC', 'YYYY-MM-DD') as refreshed_on, reference_date::text
        from salesdash.rfm_refresh_status`;
      t.equal(status!.reference_date, null, 'the published refresh has no reference date');
      await page.goto(`${baseUrl}/`);
      await page.waitForSelector('[data-testid="rfm-table"][data-loaded-path]');
      const asOf = page.locator('[data-testid="header-facts"] div', { hasText: 'RFM as of' }).locator('dd');
      t.equal(await asOf.textContent(), `no purchases (refreshed ${status!.refreshed_on})`);
      t.match(await page.textContent('.notice'), 'The last refresh found no counted purchases');
      const empty = page.locator('.customers .empty');
      t.equal(await empty.textContent(), 'No customers yet: load orders and run salesdash refresh.', 'no backticks shown');
      t.same(await empty.locator('code').allTextContents(), ['salesdash refresh'], 'the command is set as code');

      await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length >= 5);
      for (const chart of charts) {
        const axes = await axisLabels(page, chart);
        t.ok(axes.length > 0, `${chart}: its value axes are labelled`);
        for (const labels of axes) t.same(labels, [...new Set(labels)], `${chart}: no label repeats on an axis (${labels.join(' ')})`);
      }
      await page.screenshot({ path: path.join(screenshots, 'empty-shop.png'), fullPage: true });
    });

    await t.test('the movement tab of a shop without two snapshots asks for no matrix', async (t) => {
      await page.click('[data-testid="tab-movement"]');
      await page.waitForSelector('[data-testid="movement-too-few"]');
      t.match(await page.textContent('[data-testid="movement-too-few"]'), 'there are none yet');
      t.notOk(requested.some((p) => p.startsWith('/api/segments/movement')), 'no request that could only answer 404');
      t.equal(await page.locator('[role="alert"]').count(), 0, 'no error banner');
    });

    // A shop with two refreshes (two snapshots), and a person whose id starts with a space.
    await loadShopFixture(sql, 300);
    await sql`insert into raw.customers (customer_id, customer_unique_id, customer_zip_code_prefix, customer_city, customer_state)
              values ('oc_lead', ' lead', '01000', 'sao paulo', 'SP')`;
    await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
              values ('order_lead', 'oc_lead', 'delivered', '2018-08-01 10:00')`;
    await sql`insert into raw.order_items (order_id, order_item_id, product_id, price, freight_value)
              values ('order_lead', 1, 'prod1', 120, 10)`;
    await sql`select salesdash.refresh_rfm('2018-05-31'::date)`;
    await sql`select salesdash.refresh_rfm()`;
    const { snapshots } = (await (await fetch(`${baseUrl}/api/snapshots`)).json()) as SnapshotsResponse;
    const [latest, second] = snapshots.map((s) => s.reference_date);

    await t.test('a segment the shop does not have falls back to all segments, and the URL drops it', async (t) => {
      await page.goto(`${baseUrl}/?segment=Bogus&sort=recency`);
      await page.waitForSelector('[data-testid="rfm-table"][data-loaded-path], .customers [role="alert"]');
      t.equal(await page.locator('[role="alert"]').count(), 0, 'no error banner');
      t.equal(await page.getAttribute('[data-testid="rfm-table"]', 'data-loaded-path'), '/api/customers/rfm?sort_by=recency&order=desc&page=1&limit=25');
      t.equal(new URL(page.url()).search, '?sort=recency', 'the URL keeps the known values only');
      t.equal(await page.inputValue('[data-testid="segment-filter"]'), '');
      t.equal(await page.locator('[data-testid="rfm-table"] tbody tr').count(), 25, 'every customer is listed');
      t.notOk(requested.some((p) => p.includes('Bogus')), 'the unknown segment was never asked for');

      // A segment the shop has stays.
      await page.goto(`${baseUrl}/?segment=Champions`);
      await page.waitForSelector('[data-testid="rfm-table"][data-loaded-path*="segment=Champions&"]');
      t.equal(new URL(page.url()).searchParams.get('segment'), 'Champions');
    });

    await t.test('dates no snapshot was taken on fall back to the two latest, and the URL drops them', async (t) => {
      await page.goto(`${baseUrl}/?tab=movement&from=1999-01-01`);
      await page.waitForSelector('[data-testid="movement-matrix"][data-loaded], .movement [role="alert"]');
      t.equal(await page.locator('[role="alert"]').count(), 0, 'no error banner');
      t.equal(await page.getAttribute('[data-testid="movement-matrix"]', 'data-loaded'), `${second}..${latest}`);
      t.equal(new URL(page.url()).search, '?tab=movement');
      t.equal(await page.inputValue('[data-testid="movement-from"]'), second);

      await page.goto(`${baseUrl}/?tab=movement&from=${second}&to=2000-01-01`);
      await page.waitForSelector('[data-testid="movement-matrix"][data-loaded], .movement [role="alert"]');
      t.equal(await page.getAttribute('[data-testid="movement-matrix"]', 'data-loaded'), `${second}..${latest}`);
      t.equal(new URL(page.url()).search, `?tab=movement&from=${second}`, 'the known date stays');

      // A movers list whose segment the shop does not have is no list: the cell goes, the matrix stays.
      await page.goto(`${baseUrl}/?tab=movement&from=${second}&to=${latest}&moved_from=Champions&segment=Bogus`);
      await page.waitForSelector(`[data-testid="movement-matrix"][data-loaded="${second}..${latest}"]`);
      await page.waitForFunction(() => !new URL(location.href).searchParams.has('segment'));
      t.equal(new URL(page.url()).search, `?tab=movement&from=${second}&to=${latest}`);
      t.equal(await page.locator('[data-testid="movers"]').count(), 0);
      t.equal(await page.locator('[role="alert"]').count(), 0, 'no error banner');

      // Nor is one from a segment the from snapshot does not have (the segment now is known).
      const movers = requested.length;
      await page.goto(`${baseUrl}/?tab=movement&from=${second}&to=${latest}&moved_from=Bogus&segment=Champions`);
      await page.waitForSelector(`[data-testid="movement-matrix"][data-loaded="${second}..${latest}"]`);
      await page.waitForFunction(() => !new URL(location.href).searchParams.has('moved_from'));
      t.equal(new URL(page.url()).search, `?tab=movement&from=${second}&to=${latest}`);
      t.equal(await page.locator('[data-testid="movers"]').count(), 0);
      t.equal(await page.locator('[role="alert"]').count(), 0, 'no error banner');
      t.notOk(requested.slice(movers).some((p) => p.includes('moved_from=Bogus')), 'the unknown segment was never asked for');
    });

    await t.test('a customer id typed with a leading space opens exactly that customer', async (t) => {
      await page.goto(`${baseUrl}/`);
      await page.waitForSelector('[data-testid="rfm-table"][data-loaded-path]');
      await page.fill('#lookup-id', ' lead');
      await page.click('form.lookup button[type="submit"]');
      await page.waitForSelector('[data-testid="customer-details"][aria-busy="false"]');
      t.equal(new URL(page.url()).searchParams.get('customer'), ' lead');
      t.equal(await page.locator('[data-testid="customer-details"] .empty').count(), 0, 'not "No customer with this id"');
      t.equal(await page.textContent('#details-title .id'), ' lead');
      t.equal(await page.locator('[data-testid="details-history"] tbody tr').count(), 1, 'its one order');

      // An all-blank entry opens nothing.
      await page.click('[aria-label="Close customer details"]');
      await page.fill('#lookup-id', '   ');
      await page.click('form.lookup button[type="submit"]');
      t.equal(new URL(page.url()).searchParams.get('customer'), null);
    });

    t.same(consoleErrors, [], 'no console errors');
    await context.close();
  } finally {
    await browser.close();
    await app.close();
    t.comment(`screenshots saved in ${screenshots}`);
  }
});
