// The movement tab in a real browser (Debian's chromium, driven by playwright-core) against the real server
// and a real database. The fixture shop is refreshed as of three dates, each published refresh keeping a
// snapshot; after each refresh the test records every customer's published segment itself, so the numbers
// the matrix and the movers list must show are derived here from the published RFM, not from the movement
// code. Checks: the tab is a chunk of its own, loaded only when opened; fewer than two snapshots says so;
// the matrix's counts equal the cross-tab of two recordings; a cell lists exactly its customers in the
// table's order, with paging state in the URL, a CSV link with the same filter, reload and Back; picking
// other dates redraws the matrix and the list says it shows where customers are now.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { chromiumMissing, hasChromium } from '../../bench/web.ts';
import type { Sql } from '../../db/connection.ts';
import { bundleBudgetKb, buildWeb } from '../../web/build.ts';
import type { MovementResponse, SnapshotsResponse } from '../../web/src/api.ts';
import { testDatabase } from '../helpers/db.ts';
import { collectConsoleErrors, loadShopFixture, serveDashboard } from './fixture.ts';

// The fixture's purchases run up to 2018-08-31; the last refresh is as of the latest purchase.
const dates = ['2018-03-31', '2018-05-31'] as const;
const NONE = '(none)';

/** Records every customer's published segment under `label` (a table of the test's own). */
async function recordSegments(sql: Sql, label: string): Promise<void> {
  await sql`create table if not exists test_segments (label text, customer_id text, segment text)`;
  await sql`insert into test_segments select ${label}, customer_id, segment from salesdash.rfm_scores_current`;
}

/** Customers per (segment at `a`, segment at `b`) from the recordings; null is "not a customer". */
async function crossTab(sql: Sql, a: string, b: string): Promise<Map<string, number>> {
  const rows = await sql<{ from_segment: string | null; to_segment: string | null; customers: number }[]>`
    select x.segment as from_segment, y.segment as to_segment, count(*)::int as customers
    from (select * from test_segments where label = ${a}) x
    full join (select * from test_segments where label = ${b}) y using (customer_id)
    group by 1, 2`;
  return new Map(rows.map((r) => [`${r.from_segment ?? NONE}|${r.to_segment ?? ''}`, r.customers]));
}

/** The customers now (published) in `segment` who were in `movedFrom` at recording `at`, in the table's default order. */
async function expectedMovers(sql: Sql, at: string, movedFrom: string, segment: string): Promise<string[]> {
  const rows = await sql<{ customer_id: string }[]>`
    select c.customer_id
    from salesdash.rfm_scores_current c
    left join (select * from test_segments where label = ${at}) x using (customer_id)
    where c.segment = ${segment} and coalesce(x.segment, ${NONE}) = ${movedFrom}
    order by c.monetary desc, c.customer_id collate "C" desc`;
  return rows.map((r) => r.customer_id);
}

/** Every matrix cell shown, as "from|to" -> customers ("(none)" is the new row, "" the gone column). */
async function matrixCells(page: Page): Promise<Map<string, number>> {
  const cells: [string, number][] = await page.$$eval('[data-testid="movement-matrix"] td[data-from]', (tds) =>
    tds.map((td) => [
      `${td.getAttribute('data-from')}|${td.getAttribute('data-to')}`,
      Number((td.querySelector('[data-testid="movement-customers"]')?.textContent ?? '').replace(/,/g, '')),
    ]),
  );
  return new Map(cells);
}

async function tableIds(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="rfm-table"] tbody tr', (rows) => rows.map((row) => row.getAttribute('data-customer-id') ?? ''));
}

const cellSelector = (from: string, to: string) => `[data-testid="movement-matrix"] td[data-from="${from}"][data-to="${to}"] button`;

async function waitForMatrix(page: Page, from: string, to: string): Promise<void> {
  await page.waitForSelector(`[data-testid="movement-matrix"][data-loaded="${from}..${to}"]`);
}

t.test('segment movement in headless Chromium against the real API and database', { skip: hasChromium() ? false : chromiumMissing }, async (t) => {
  const { sql, url } = await testDatabase(t);
  await loadShopFixture(sql, 600);

  // Build into a folder of our own: web/dist may be served by someone else's server meanwhile.
  const webDir = mkdtempSync(path.join(os.tmpdir(), 'salesdash-web-'));
  const bundle = await buildWeb(webDir);
  t.comment(`bundle: first view ${bundle.gzipKb.toFixed(1)} KB gzipped JS+CSS, loaded on demand ${bundle.lazyGzipKb.toFixed(1)} KB`);
  t.ok(bundle.gzipKb < bundleBudgetKb, `first view ${bundle.gzipKb.toFixed(1)} KB gzipped is under ${bundleBudgetKb} KB`);
  const movementChunk = bundle.files.find((f) => f.startsWith('Movement-'));
  t.ok(movementChunk, 'the movement tab is a chunk of its own');
  t.notMatch(readFileSync(path.join(webDir, 'index.html'), 'utf8'), movementChunk!, 'index.html does not load it');

  const { app, baseUrl, browser, screenshots } = await serveDashboard(t, url, webDir);

  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const consoleErrors = collectConsoleErrors(page);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));

    await t.test('the first view does not load the movement tab; before two snapshots it says so', async (t) => {
      await page.goto(`${baseUrl}/`);
      await page.waitForSelector('[data-testid="rfm-table"][data-loaded-path]');
      t.notOk(requested.includes(`/${movementChunk}`), 'movement chunk not fetched by the first view');
      await page.click('[data-testid="tab-movement"]');
      await page.waitForSelector('[data-testid="movement-too-few"]');
      t.notOk(requested.includes('/api/segments/movement'), 'no matrix asked for before two snapshots (its 404 would be a console error)');
      t.ok(requested.includes(`/${movementChunk}`), 'movement chunk fetched when the tab opens');
      t.equal(new URL(page.url()).search, '?tab=movement');
      t.equal(await page.getAttribute('[data-testid="tab-movement"]', 'aria-current'), 'page');
    });

    for (const date of dates) {
      await sql`select salesdash.refresh_rfm(${date}::date)`;
      await recordSegments(sql, date);
    }
    await sql`select salesdash.refresh_rfm()`;
    await recordSegments(sql, 'latest');
    // A snapshot from the history, between the two refreshes: the picker lists it too.
    await sql`select salesdash.take_rfm_snapshot('2018-04-30')`;
    const { snapshots } = (await (await fetch(`${baseUrl}/api/snapshots`)).json()) as SnapshotsResponse;
    const latest = snapshots[0]!.reference_date;
    t.same(
      snapshots.map((s) => [s.reference_date, s.source]),
      [[latest, 'refresh'], ['2018-05-31', 'refresh'], ['2018-04-30', 'history'], ['2018-03-31', 'refresh']],
      'one snapshot per refresh, newest first, and the history one',
    );

    const expected = await crossTab(sql, '2018-05-31', 'latest');
    // The question when the fixture has such movers, else the biggest move between two segments.
    const moves = [...expected].filter(([key]) => {
      const [from, to] = key.split('|');
      return from !== NONE && to !== '' && from !== to;
    });
    const pickedKey = expected.has('Loyal|At-Risk') ? 'Loyal|At-Risk' : moves.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
    const [movedFrom, segment] = pickedKey.split('|') as [string, string];
    t.comment(`cell: ${pickedKey}`);

    await t.test('the matrix shows the customers who moved between the two latest snapshots', async (t) => {
      await page.reload();
      await waitForMatrix(page, '2018-05-31', latest);
      t.equal(await page.inputValue('[data-testid="movement-from"]'), '2018-05-31', 'from defaults to the second latest');
      t.equal(await page.inputValue('[data-testid="movement-to"]'), latest, 'to defaults to the latest');
      t.match(await page.textContent('[data-testid="movement-from"] option[value="2018-04-30"]'), 'from history');
      const shown = await matrixCells(page);
      t.same(Object.fromEntries(shown), Object.fromEntries(expected), 'every cell holds the customers of the cross-tab of the two refreshes');
      t.ok((expected.get(pickedKey) ?? 0) > 0, `${pickedKey}: ${expected.get(pickedKey)} customers`);
      t.equal(
        await page.textContent(`${cellSelector(movedFrom, segment)} [data-testid="movement-customers"]`),
        String(expected.get(pickedKey)),
      );
      // Told apart without colour: the class drives the colour, the mark and the name say the same.
      const api = (await (await fetch(`${baseUrl}/api/segments/movement`)).json()) as MovementResponse;
      const cell = api.cells.find((c) => c.from_segment === movedFrom && c.to_segment === segment)!;
      t.match(await page.getAttribute(`td[data-from="${movedFrom}"][data-to="${segment}"]`, 'class'), cell.direction);
      t.match(await page.getAttribute(cellSelector(movedFrom, segment), 'aria-label'), `${movedFrom} to ${segment}: ${expected.get(pickedKey)} customers`);
      const stayed = api.cells.find((c) => c.direction === 'stayed')!;
      t.match(await page.getAttribute(`td[data-from="${stayed.from_segment}"][data-to="${stayed.to_segment}"]`, 'class'), 'stayed', 'the diagonal is marked');
      t.ok(await page.isVisible('.movement-legend'), 'a legend names the directions');
      await page.screenshot({ path: path.join(screenshots, 'movement-matrix.png'), fullPage: true });
    });

    await t.test('a cell lists its customers, with paging, a CSV link of the same filter, reload and Back', async (t) => {
      const ids = await expectedMovers(sql, '2018-05-31', movedFrom, segment);
      t.equal(ids.length, expected.get(pickedKey), 'as many movers as the cell counts (to is the latest)');
      await page.click(cellSelector(movedFrom, segment));
      const query = `segment=${encodeURIComponent(segment)}&moved_from=${encodeURIComponent(movedFrom)}&since=2018-05-31&sort_by=monetary&order=desc`;
      await page.waitForSelector(`[data-testid="rfm-table"][data-loaded-path="/api/customers/rfm?${query}&page=1&limit=25"]`);
      t.same(await tableIds(page), ids.slice(0, 25), 'the first page lists the cell\'s customers, biggest spenders first');
      t.match(await page.textContent('[data-testid="page-status"]'), `of ${ids.length.toLocaleString('en-US')}`);
      t.equal(await page.getAttribute(cellSelector(movedFrom, segment), 'aria-pressed'), 'true');
      t.match(await page.textContent('[data-testid="movers-note"]'), `Customers who were ${movedFrom} on 2018-05-31 and are ${segment}`);
      const href = await page.getAttribute('[data-testid="export-csv"]', 'href');
      t.equal(href, `/api/customers/rfm.csv?${query}`, 'the CSV link carries the same filter and order');
      const csv = (await (await fetch(`${baseUrl}${href}`)).text()).trim().split('\n');
      t.same(csv.slice(1).map((line) => line.split(',')[0]), ids, 'the CSV holds exactly the movers, in the table order');

      const search = new URL(page.url()).searchParams;
      t.same(Object.fromEntries(search), { tab: 'movement', from: '2018-05-31', to: latest, moved_from: movedFrom, segment });
      if (ids.length > 25) {
        await page.click('[data-testid="page-next"]');
        await page.waitForSelector(`[data-testid="rfm-table"][data-loaded-path*="page=2&"]`);
        t.same(await tableIds(page), ids.slice(25, 50), 'page 2');
        await page.goBack();
        await page.waitForSelector(`[data-testid="rfm-table"][data-loaded-path*="page=1&"]`);
      }
      await page.reload();
      await page.waitForSelector(`[data-testid="rfm-table"][data-loaded-path*="${query}"]`);
      t.same(await tableIds(page), ids.slice(0, 25), 'a reload shows the same list');
      await page.screenshot({ path: path.join(screenshots, 'movement-movers.png'), fullPage: true });
      await page.goBack();
      await page.waitForFunction(() => !new URL(location.href).searchParams.has('moved_from'));
      await waitForMatrix(page, '2018-05-31', latest);
      t.equal(await page.locator('[data-testid="movers"]').count(), 0, 'Back closes the list');

      // Paging, on the biggest cell.
      const [biggest] = [...expected].filter(([key]) => !key.endsWith('|')).sort((a, b) => b[1] - a[1]);
      const [bigFrom, bigTo] = biggest![0].split('|') as [string, string];
      const bigIds = await expectedMovers(sql, '2018-05-31', bigFrom, bigTo);
      t.ok(bigIds.length > 25, `${biggest![0]}: ${bigIds.length} customers, more than a page`);
      await page.click(cellSelector(bigFrom, bigTo));
      await page.waitForSelector(`[data-testid="rfm-table"][data-loaded-path*="moved_from=${encodeURIComponent(bigFrom)}&since=2018-05-31&sort_by=monetary&order=desc&page=1&"]`);
      await page.click('[data-testid="page-next"]');
      await page.waitForSelector('[data-testid="rfm-table"][data-loaded-path*="page=2&"]');
      t.same(await tableIds(page), bigIds.slice(25, 50), 'page 2 goes on with the same customers');
      t.equal(new URL(page.url()).searchParams.get('page'), '2');
      await page.goBack();
      await page.waitForSelector('[data-testid="rfm-table"][data-loaded-path*="page=1&"]');
      t.same(await tableIds(page), bigIds.slice(0, 25), 'Back returns to page 1');
    });

    await t.test('other dates: the matrix follows; a list of a past period shows where customers are now', async (t) => {
      await page.selectOption('[data-testid="movement-from"]', '2018-03-31');
      await waitForMatrix(page, '2018-03-31', latest);
      await page.selectOption('[data-testid="movement-to"]', '2018-05-31');
      await waitForMatrix(page, '2018-03-31', '2018-05-31');
      t.equal(await page.getAttribute('[data-testid="movement-from"] option[value="2018-05-31"]', 'disabled'), '', 'from cannot be on or after to');
      const past = await crossTab(sql, '2018-03-31', '2018-05-31');
      t.same(Object.fromEntries(await matrixCells(page)), Object.fromEntries(past), 'cells equal the cross-tab of those two refreshes');
      const newRow = [...past].filter(([key]) => key.startsWith(`${NONE}|`));
      t.ok(newRow.length > 0, 'customers who bought first in the period are in the "new" row');

      // The new ones of the period, listed by the segment they are in now.
      let picked: { to: string; ids: string[] } | undefined;
      for (const [key] of newRow) {
        const to = key.split('|')[1]!;
        const ids = await expectedMovers(sql, '2018-03-31', NONE, to);
        if (ids.length > 0) {
          picked = { to, ids };
          break;
        }
      }
      const { to, ids } = picked!;
      await page.click(cellSelector(NONE, to));
      await page.waitForSelector(`[data-testid="rfm-table"][data-loaded-path*="moved_from=%28none%29&since=2018-03-31&"]`);
      t.same(await tableIds(page), ids.slice(0, 25), 'not customers on 2018-03-31 and in that segment now');
      t.match(await page.textContent('[data-testid="movers-note"]'), 'shows where customers are now');
      t.match(await page.textContent('#movers-title'), `not yet customers on 2018-03-31 → ${to} now`);

      await page.setViewportSize({ width: 390, height: 844 });
      t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'at phone width the matrix scrolls in its box, the page does not');
      await page.screenshot({ path: path.join(screenshots, 'movement-phone.png'), fullPage: true });
      await page.setViewportSize({ width: 1366, height: 900 });
    });

    t.same(consoleErrors, [], 'no console errors');
    await context.close();
  } finally {
    await browser.close();
    await app.close();
    t.comment(`screenshots saved in ${screenshots}`);
  }
});
