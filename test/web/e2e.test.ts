// The dashboard in a real browser (Debian's chromium, driven by playwright-core) against the real server
// and a real database: charts draw, the segment filter, sorting, paging and back button work, a customer
// opens, the CSV export matches the table, errors show a banner with a working retry, the no-model state
// shows before training and the model panel after. Screenshots go to a temporary folder printed below.
// Timings are printed as measurements, never asserted: the machine is shared.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import {
  chromiumMissing,
  hasChromium,
  measureFirstView,
  measureNextPage,
  measureSegmentChange,
} from '../../bench/web.ts';
import type { Sql } from '../../db/connection.ts';
import { projectRoot } from '../../paths.ts';
import { bundleBudgetKb, buildWeb } from '../../web/build.ts';
import type { CustomerDetails, ModelMetrics, RfmPage, SegmentDetail, SegmentsResponse, SpendFigures } from '../../web/src/api.ts';
import { testDatabase } from '../helpers/db.ts';
import { collectConsoleErrors, loadShopFixture, serveDashboard } from './fixture.ts';

const generatorModule = path.join(projectRoot, 'jobs', 'generate', 'index.ts');
const trainModule = path.join(projectRoot, 'jobs', 'train', 'train.ts');

/** Generated data when the generator exists (realistic spread), else the small SQL fixture. */
async function loadData(sql: Sql): Promise<string> {
  if (existsSync(generatorModule)) {
    const { generate } = await import(generatorModule);
    await generate(sql, { customers: 3000, seed: 7 });
    return 'generate(3000 customers, seed 7)';
  }
  await loadShopFixture(sql, 1500);
  return 'SQL fixture (1500 persons)';
}

/** Pixels of the charts' primary colour (or `rgb`) on the chart's canvas: > 0 means the series were drawn. */
function inkedPixels(page: Page, testId: string, [r, g, b]: [number, number, number] = [47, 109, 181]): Promise<number> {
  // Source text, so the test runner's helpers never leak into the page.
  return page.evaluate(`(() => {
    const canvas = document.querySelector('[data-testid="${testId}"] canvas');
    if (!canvas || canvas.width === 0) return -1;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (Math.abs(pixels[i] - ${r}) < 16 && Math.abs(pixels[i + 1] - ${g}) < 16 && Math.abs(pixels[i + 2] - ${b}) < 16 && pixels[i + 3] > 200) count++;
    }
    return count;
  })()`) as Promise<number>;
}

interface TableRow {
  customer_id: string;
  segment: string;
  recency: number;
  frequency: number;
  monetary: number;
  rfm_score: number;
  /** null where the table shows an em dash (not scored by a model). */
  expected_revenue: number | null;
}

const number = (text: string) => Number(text.replace(/,/g, ''));
/** The page's money format (two decimals, grouped), written independently of web/src/shape.ts. */
const money = (value: number) => value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const EM_DASH = '\u2014';

async function tableRows(page: Page): Promise<TableRow[]> {
  const cells: string[][] = await page.$$eval('[data-testid="rfm-table"] tbody tr', (rows) =>
    rows.map((row) => Array.from(row.querySelectorAll('td'), (cell) => cell.textContent ?? '')),
  );
  return cells.map(([customer_id, segment, recency, frequency, monetary, score, expected]) => ({
    customer_id: customer_id!,
    segment: segment!,
    recency: number(recency!),
    frequency: number(frequency!),
    monetary: number(monetary!),
    rfm_score: number(score!),
    expected_revenue: expected!.trim() === EM_DASH ? null : number(expected!),
  }));
}

/** RFC 4180 CSV (quoted fields, doubled quotes) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += '"', i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (c !== '\r') field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

/** The spend table's formats, written independently of web/src/shape.ts: a share, and a signed one ("+14.8%", "−5.0%"). */
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
function signedPercent(value: number): string {
  const size = `${Math.abs(value * 100).toFixed(1)}%`;
  return size === '0.0%' ? size : `${value > 0 ? '+' : '\u2212'}${size}`;
}

/** Every row of the RFM list through the API in pages of 1,000, in its default (monetary) order. */
async function allRfmRows(baseUrl: string): Promise<RfmPage['data']> {
  const rows: RfmPage['data'] = [];
  for (let page = 1; ; page++) {
    const body = (await (await fetch(`${baseUrl}/api/customers/rfm?limit=1000&page=${page}`)).json()) as RfmPage;
    rows.push(...body.data);
    if (rows.length >= body.total || body.data.length === 0) return rows;
  }
}

async function waitForTable(page: Page, pathFragment: string): Promise<void> {
  await page.waitForSelector(`[data-testid="rfm-table"][data-loaded-path*="${pathFragment}"]`);
}

t.test('dashboard in headless Chromium against the real API and database', { skip: hasChromium() ? false : chromiumMissing }, async (t) => {
  const { sql, url } = await testDatabase(t);
  t.comment(`data: ${await loadData(sql)}`);

  // Build into a folder of our own: web/dist may be served by someone else's server meanwhile.
  const webDir = mkdtempSync(path.join(os.tmpdir(), 'salesdash-web-'));
  const bundle = await buildWeb(webDir);
  t.comment(`bundle: ${bundle.gzipKb.toFixed(1)} KB gzipped JS+CSS (${bundle.rawKb.toFixed(1)} KB minified)`);
  t.ok(bundle.gzipKb < bundleBudgetKb, `bundle ${bundle.gzipKb.toFixed(1)} KB gzipped is under ${bundleBudgetKb} KB`);

  const { app, baseUrl, browser, screenshots } = await serveDashboard(t, url, webDir);
  t.comment(`screenshots: ${screenshots}`);
  const timings: string[] = [];

  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    let failureExpected = false;
    const consoleErrors = collectConsoleErrors(page, () => failureExpected);

    await t.test('before the first refresh the page says what to do', async (t) => {
      await page.goto(`${baseUrl}/`);
      await page.waitForSelector('[data-testid="rfm-table"][data-loaded-path]');
      t.match(await page.textContent('.notice'), 'No RFM scores yet');
      t.equal(await page.textContent('[data-testid="total-customers"]'), '0');
      t.match(await page.textContent('.customers .empty'), 'No customers yet');
      t.equal(await page.getAttribute('[data-testid="export-csv"]', 'href'), null, 'nothing to export');
    });

    await sql`select salesdash.refresh_rfm()`;
    const overview = (await (await fetch(`${baseUrl}/api/customers/segments`)).json()) as SegmentsResponse;
    // The contract leaves these fields optional; this server always sends every one.
    const details = overview.segment_details as Required<SegmentDetail>[];
    t.ok(overview.total_customers > 0, `${overview.total_customers} customers after refresh`);

    await t.test('first view: header figures and every chart drawn', async (t) => {
      const firstViewMs = await measureFirstView(page, `${baseUrl}/`);
      timings.push(`first view ${firstViewMs.toFixed(0)} ms (navigation to charts drawn and first table page, cold cache)`);
      t.equal(await page.textContent('[data-testid="total-customers"]'), overview.total_customers.toLocaleString('en-US'));
      for (const chart of ['segments-chart', 'monthly-chart', 'histogram-recency_days', 'histogram-frequency', 'histogram-monetary']) {
        t.ok((await inkedPixels(page, chart)) > 50, `${chart} draws its series`);
      }
      t.equal((await tableRows(page)).length, Math.min(25, overview.total_customers), 'first table page has 25 rows');
      await page.screenshot({ path: path.join(screenshots, '1-overview.png'), fullPage: true });
    });

    const biggest = details.reduce((a, b) => (b.customers > a.customers ? b : a));
    const biggestIndex = details.indexOf(biggest);
    const segmentQuery = `${new URLSearchParams({ segment: biggest.segment })}&`;

    await t.test('clicking a segment bar filters the table and the URL', async (t) => {
      const brightBefore = await inkedPixels(page, 'segments-chart');
      const plot = (await page.locator('[data-testid="segments-chart"] .u-over').boundingBox())!;
      await page.mouse.click(plot.x + (plot.width * (biggestIndex + 0.5)) / details.length, plot.y + plot.height - 4);
      await waitForTable(page, segmentQuery);
      const rows = await tableRows(page);
      t.equal(rows.length, Math.min(25, biggest.customers));
      t.same([...new Set(rows.map((r) => r.segment))], [biggest.segment], 'every row is in the clicked segment');
      t.match(await page.textContent('[data-testid="page-status"]'), `of ${biggest.customers.toLocaleString('en-US')}`);
      t.equal(new URL(page.url()).searchParams.get('segment'), biggest.segment);
      t.equal(await page.getAttribute(`button[data-segment="${biggest.segment}"]`, 'aria-pressed'), 'true');
      t.equal(await page.inputValue('[data-testid="segment-filter"]'), biggest.segment);
      const brightAfter = await inkedPixels(page, 'segments-chart');
      t.ok(brightAfter > 0 && brightAfter < brightBefore, `only the selected bar stays bright (${brightBefore} -> ${brightAfter} px)`);
    });

    await t.test('the CSV export downloads the filtered rows in the table order', async (t) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
      t.match(download.suggestedFilename(), /^rfm-.+\.csv$/);
      const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
      t.same(csv[0], ['customer_id', 'recency', 'frequency', 'monetary', 'segment', 'rfm_score', 'expected_revenue']);
      const body = csv.slice(1);
      t.equal(body.length, biggest.customers, 'one CSV row per customer of the segment');
      const table = await tableRows(page);
      const fromCsv = body.slice(0, table.length).map(([customer_id, recency, frequency, monetary, segment, score, expected]) => ({
        customer_id: customer_id!,
        segment: segment!,
        recency: Number(recency),
        frequency: Number(frequency),
        monetary: Number(monetary),
        rfm_score: Number(score),
        // COPY writes null as an empty field; before training nobody is scored.
        expected_revenue: expected === '' ? null : Number(expected),
      }));
      t.same(fromCsv, table, 'the first CSV rows are the table rows, same values, same order');
    });

    await t.test('paging, sorting and the back button', async (t) => {
      const firstPage = await tableRows(page);
      const pageMs = await measureNextPage(page, 2);
      timings.push(`next page repaint ${pageMs.toFixed(0)} ms`);
      t.match(await page.textContent('[data-testid="page-status"]'), 'page 2 of');
      const secondPage = await tableRows(page);
      t.notSame(secondPage[0]?.customer_id, firstPage[0]?.customer_id, 'page 2 shows other customers');
      t.equal(new URL(page.url()).searchParams.get('page'), '2');
      await page.goBack();
      await waitForTable(page, 'page=1&');
      t.same(await tableRows(page), firstPage, 'back returns to page 1');

      await page.click('button[data-sort="recency"]');
      await waitForTable(page, 'sort_by=recency&order=desc');
      const descending = (await tableRows(page)).map((r) => r.recency);
      t.same(descending, descending.slice().sort((a, b) => b - a), 'recency descending');
      await page.click('button[data-sort="recency"]');
      await waitForTable(page, 'sort_by=recency&order=asc');
      const ascending = (await tableRows(page)).map((r) => r.recency);
      t.same(ascending, ascending.slice().sort((a, b) => a - b), 'recency ascending');
      t.equal(await page.getAttribute('th[aria-sort]', 'aria-sort'), 'ascending');

      // A bookmarked page past the end (the list shrank since) moves to the last page, with its rows.
      const sortedUrl = page.url();
      await page.goto(`${baseUrl}/?page=9999`);
      await page.waitForFunction(() => /page ([\d,]+) of \1$/.test(document.querySelector('[data-testid="page-status"]')?.textContent ?? ''));
      t.ok((await tableRows(page)).length > 0, 'page 9999 shows the last page\'s rows');
      t.not(new URL(page.url()).searchParams.get('page'), '9999', 'and the URL names the last page');
      const emptyMessages = await page.evaluate(() => [...document.querySelectorAll('p.empty')].map((e) => e.textContent ?? ''));
      t.same(emptyMessages.filter((text) => /No customers/.test(text)), [], 'no "no customers" message');
      await page.goto(sortedUrl);
      await waitForTable(page, 'sort_by=recency&order=asc');
    });

    await t.test('a customer opens from a row, from the keyboard and by id', async (t) => {
      const [first, second] = await tableRows(page);
      await page.click(`tr[data-customer-id="${first!.customer_id}"]`);
      await page.waitForSelector('[data-testid="customer-details"][aria-busy="false"]');
      t.equal(await page.textContent('[data-testid="details-segment"]'), first!.segment);
      t.match(await page.textContent('[data-testid="details-probability"]'), 'no prediction yet');
      const [{ orders }] = await sql<{ orders: number }[]>`
        select count(*)::int as orders from salesdash_internal.int_counted_orders where customer_id = ${first!.customer_id}`;
      t.equal(await page.locator('[data-testid="details-history"] tbody tr').count(), orders, 'one history row per counted order');
      t.equal(new URL(page.url()).searchParams.get('customer'), first!.customer_id);
      await page.screenshot({ path: path.join(screenshots, '2-customer.png'), fullPage: true });

      await page.focus(`tr[data-customer-id="${second!.customer_id}"]`);
      await page.keyboard.press('Enter');
      await page.waitForSelector(`#details-title:has-text("${second!.customer_id}")`);
      await page.waitForSelector('[data-testid="customer-details"][aria-busy="false"]');
      t.equal(await page.textContent('[data-testid="details-segment"]'), second!.segment, 'Enter on a focused row opens it');

      failureExpected = true; // the unknown id answers 404, which Chromium logs
      await page.fill('#lookup-id', 'nobody-with-this-id');
      await page.press('#lookup-id', 'Enter');
      await page.waitForSelector('text=No customer with this id.');
      failureExpected = false;
      await page.fill('#lookup-id', first!.customer_id);
      await page.click('form.lookup button');
      await page.waitForSelector('[data-testid="customer-details"][aria-busy="false"] [data-testid="details-segment"]');
      t.equal(await page.textContent('[data-testid="details-segment"]'), first!.segment, 'typing an id opens it');
      await page.click('button[aria-label="Close customer details"]');
      t.equal(await page.locator('[data-testid="customer-details"]').count(), 0, 'Close closes it');
      t.equal(new URL(page.url()).searchParams.get('customer'), null);
      await page.focus(`tr[data-customer-id="${first!.customer_id}"]`);
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-testid="customer-details"][aria-busy="false"]');
      await page.keyboard.press('Escape');
      t.equal(await page.locator('[data-testid="customer-details"]').count(), 0, 'Escape closes it');
    });

    await t.test('a failing API shows an error banner whose retry recovers', async (t) => {
      failureExpected = true;
      await page.route('**/api/customers/rfm?**', (route) =>
        route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"Internal server error"}' }),
      );
      await page.click('button[data-sort="monetary"]');
      const banner = page.locator('.customers [role="alert"]');
      await banner.waitFor();
      t.match(await banner.textContent(), 'Internal server error');
      await page.unroute('**/api/customers/rfm?**');
      failureExpected = false;
      await banner.locator('button', { hasText: 'Retry' }).click();
      await waitForTable(page, 'sort_by=monetary&order=desc');
      t.equal(await banner.count(), 0, 'the banner goes away after a successful retry');
    });

    await t.test('before training the model panel says there is no model', async (t) => {
      const response = await fetch(`${baseUrl}/api/model/metrics`);
      t.equal(response.status, 503);
      t.same(await response.json(), { error: 'Model unavailable' });
      t.ok(await page.isVisible('[data-testid="no-model"]'));
    });

    await t.test('before training no expected revenue is shown as a figure: no forecast, em dashes in the table', async (t) => {
      t.equal(overview.forecast ?? null, null, 'the API has no forecast yet');
      t.equal(await page.locator('[data-testid="forecast"]').count(), 0, 'no forecast line');
      t.equal(await page.locator('[data-testid="segment-expected"]').count(), 0, 'no expected figures on the segment buttons');
      const legend = await page.textContent('[data-testid="segments-chart"]');
      t.notMatch(legend, 'Expected revenue share', 'no expected revenue series in the chart');
      const rows = await tableRows(page);
      t.ok(rows.length > 0 && rows.every((r) => r.expected_revenue === null), 'every expected revenue cell is an em dash');
    });

    await t.test('phone width: one column, no sideways scrolling, charts resized', async (t) => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('[data-testid="segments-chart"] canvas')!.getBoundingClientRect().width <= 390);
      t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'page fits 390 px');
      t.ok((await inkedPixels(page, 'segments-chart')) > 50, 'segments chart redrawn at the new width');
      await page.screenshot({ path: path.join(screenshots, '3-phone.png'), fullPage: true });
      await page.setViewportSize({ width: 1366, height: 900 });
    });

    await t.test('segment change repaint (measured, not asserted)', async (t) => {
      const samples: number[] = [];
      // Clicking the selected segment would clear the filter instead, so measure the others.
      const others = details.filter((d) => d.customers > 0 && d.segment !== new URL(page.url()).searchParams.get('segment'));
      for (const segment of others.slice(0, 4)) samples.push(await measureSegmentChange(page, segment.segment));
      timings.push(`segment change repaint ${samples.map((s) => s.toFixed(0)).join(', ')} ms`);
      t.ok(samples.length > 0);
    });

    const trainable = existsSync(trainModule) ? false : 'needs jobs/train/train.ts';
    await t.test('after training the model panel shows the figures and curves', { skip: trainable }, async (t) => {
      const { train } = await import(trainModule);
      await train(sql, { seed: 1, network: { maxEpochs: 5 } });
      const metrics = await (await fetch(`${baseUrl}/api/model/metrics`)).json();
      await page.goto(`${baseUrl}/`);
      await page.waitForSelector('[data-testid="model-comparison"]');
      const names = await page.$$eval('[data-testid="model-comparison"] tbody th', (cells) => cells.map((c) => c.textContent));
      t.same(names, ['Model', ...(metrics.baselines?.recency ? ['Recency only'] : []), ...(metrics.baselines?.bgnbd ? ['BG/NBD'] : [])]);
      const cells = await page.$$eval('[data-testid="confusion-matrix"] tbody td', (c) => c.map((cell) => Number((cell.textContent ?? '').replace(/,/g, ''))));
      const cm = metrics.confusion_matrix;
      t.same(cells, [cm.true_positive, cm.false_negative, cm.false_positive, cm.true_negative]);
      for (const chart of ['roc-chart', 'pr-chart', 'probability-chart']) t.ok((await inkedPixels(page, chart)) > 20, `${chart} draws`);
      const summary = await page.textContent('[data-testid="model-summary"]');
      t.match(summary, `Trained ${metrics.model_trained_date}`);
      // Customers are people, training rows one per customer and window: the panel never calls rows customers.
      const n = (v: number) => v.toLocaleString('en-US');
      t.match(summary, `on ${n(metrics.training_customers)} customers (${n(metrics.training_samples)} training rows: one per customer and window, ${metrics.training_windows.length} windows)`);
      await page.locator('[data-testid="model-panel"]').screenshot({ path: path.join(screenshots, '4-model.png') });
      const [row] = await tableRows(page);
      await page.click(`tr[data-customer-id="${row!.customer_id}"]`);
      await page.waitForSelector('[data-testid="customer-details"][aria-busy="false"]');
      t.match(await page.textContent('[data-testid="details-probability"]'), /^\d+\.\d%/, 'details show the probability');
    });

    await t.test('after training the model panel compares expected spend with BG/NBD x Gamma-Gamma and the run-rate', { skip: trainable }, async (t) => {
      const metrics = (await (await fetch(`${baseUrl}/api/model/metrics`)).json()) as ModelMetrics;
      const spend = metrics.spend;
      t.ok(spend?.network && spend.baselines?.bgnbd_gamma_gamma && spend.baselines.run_rate, 'GET /api/model/metrics has the spend figures of the model and both baselines');
      if (!spend) return;
      await page.waitForSelector('[data-testid="spend-comparison"]');
      const shown = await page.$$eval('[data-testid="spend-comparison"] tbody tr', (rows) =>
        rows.map((row) => [row.querySelector('th')?.textContent ?? '', ...Array.from(row.querySelectorAll('td'), (cell) => cell.textContent ?? '')]),
      );
      const forecasters: [string, SpendFigures | undefined][] = [
        ['Model', spend.network],
        ['BG/NBD × Gamma-Gamma', spend.baselines?.bgnbd_gamma_gamma],
        ['Run-rate', spend.baselines?.run_rate],
      ];
      const expected = forecasters
        .filter((f): f is [string, SpendFigures] => f[1] !== undefined)
        .map(([name, f]) => [name, f.spearman!.toFixed(3), percent(f.top_decile_capture!), signedPercent(f.total_error!), money(f.mae!), money(f.predicted_revenue!)]);
      t.same(shown, expected, 'Spearman, top-decile capture, signed total error, MAE and predicted revenue of each, as the API sent them');
      t.equal(await page.textContent('[data-testid="spend-actual"]'), money(spend.actual_revenue!), 'the actual holdout revenue');
      const correlation = spend.gamma_gamma?.frequency_value_correlation;
      if (correlation == null) t.equal(await page.locator('[data-testid="gamma-gamma-check"]').count(), 0);
      else {
        const check = await page.textContent('[data-testid="gamma-gamma-check"]');
        t.match(check, `average order value ${correlation.toFixed(2)}`, 'the independence check shows the correlation');
        t.match(check, 'near 0 supports that', 'with what it means');
      }
      await page.locator('[data-testid="spend"]').screenshot({ path: path.join(screenshots, '5-spend.png') });
    });

    await t.test('after training the segments panel shows the forecast and each segment\'s expected revenue', { skip: trainable }, async (t) => {
      const response = (await (await fetch(`${baseUrl}/api/customers/segments`)).json()) as SegmentsResponse;
      const forecast = response.forecast;
      t.ok(forecast, 'the API has a forecast');
      if (!forecast) return;
      const [current] = await sql<{ id: number; prediction_date: string }[]>`
        select r.id::int as id, (select max(p.prediction_date)::text from salesdash.predictions p) as prediction_date
        from salesdash_internal.model_runs r where r.is_current`;
      t.equal(forecast.model_run_id, current!.id, 'from the current model run');
      t.equal(forecast.prediction_date, current!.prediction_date);
      // The database's own sums of the published customers' predictions, per segment.
      const sums = await sql<{ segment: string; expected_revenue: number }[]>`
        select c.segment, sum(p.expected_revenue)::float8 as expected_revenue
        from salesdash.rfm_scores_current c join salesdash.predictions p using (customer_id) group by c.segment`;
      const bySegment = new Map(sums.map((r) => [r.segment, r.expected_revenue]));
      await page.goto(`${baseUrl}/`);
      await page.waitForSelector('[data-testid="forecast"]');
      const line = await page.textContent('[data-testid="forecast"]');
      t.match(line, `${forecast.horizon_days} days after ${forecast.prediction_date}`, 'the period');
      t.match(line, `from model run ${forecast.model_run_id}`, 'where it comes from');
      t.equal(await page.textContent('[data-testid="forecast-revenue"]'), money(forecast.expected_revenue), "the shop's total");
      const details = response.segment_details as Required<SegmentDetail>[];
      for (const detail of details) {
        const api = detail.expected_revenue;
        t.equal(api === null ? null : Math.round(api * 100), Math.round((bySegment.get(detail.segment) ?? 0) * 100), `${detail.segment}: the API's sum is the database's`);
        const text = await page.textContent(`button[data-segment="${detail.segment}"] [data-testid="segment-expected"]`);
        t.equal(text, api === null ? EM_DASH : money(api), `${detail.segment}: the button shows the API's expected revenue`);
      }
      t.match(await page.textContent('[data-testid="segments-chart"]'), 'Expected revenue share', 'the chart has the expected revenue series');
      t.ok((await inkedPixels(page, 'segments-chart', [47, 158, 110])) > 20, 'and draws it');
      await page.locator('.panel.segments').screenshot({ path: path.join(screenshots, '6-segments-forecast.png') });
      // The longer segment buttons and the forecast line still fit a phone.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('[data-testid="segments-chart"] canvas')!.getBoundingClientRect().width <= 390);
      t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the page with the forecast fits 390 px');
      await page.screenshot({ path: path.join(screenshots, '6-phone-forecast.png'), fullPage: true });
      await page.setViewportSize({ width: 1366, height: 900 });
    });

    await t.test('after training the RFM list sorts by expected revenue and the CSV link keeps that order', { skip: trainable }, async (t) => {
      const all = await allRfmRows(baseUrl);
      const scored = all.filter((r) => r.expected_revenue !== null);
      t.ok(scored.length > 0, `${scored.length} of ${all.length} customers have an expected revenue`);
      const highest = Math.max(...scored.map((r) => r.expected_revenue!));
      const [fromDb] = await sql<{ highest: number }[]>`
        select max(p.expected_revenue)::float8 as highest from salesdash.rfm_scores_current c join salesdash.predictions p using (customer_id)`;
      t.equal(highest, fromDb!.highest, "the API's highest expected revenue is the database's");

      await waitForTable(page, 'sort_by=monetary&order=desc');
      await page.click('button[data-sort="expected_revenue"]');
      await waitForTable(page, 'sort_by=expected_revenue&order=desc');
      const rows = await tableRows(page);
      t.equal(rows[0]!.expected_revenue, Math.round(highest * 100) / 100, 'the first row has the highest expected revenue');
      const values = rows.map((r) => r.expected_revenue ?? -Infinity);
      t.same(values, values.slice().sort((a, b) => b - a), 'highest first down the page');
      t.equal(new URL(page.url()).searchParams.get('sort'), 'expected_revenue');
      t.equal(await page.getAttribute('th:has(button[data-sort="expected_revenue"])', 'aria-sort'), 'descending');
      t.match(await page.getAttribute('[data-testid="export-csv"]', 'href'), 'sort_by=expected_revenue&order=desc', 'the CSV link keeps the sort');
      await page.locator('.panel.customers').screenshot({ path: path.join(screenshots, '7-sorted-by-expected.png') });
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
      const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
      const column = csv[0]!.indexOf('expected_revenue');
      t.same(
        csv.slice(1, rows.length + 1).map((row) => [row[0], Number(row[column])]),
        rows.map((r) => [r.customer_id, r.expected_revenue]),
        'the CSV starts with the table rows and their expected revenue',
      );
    });

    await t.test('after training the customer panel shows expected orders and revenue for the next period', { skip: trainable }, async (t) => {
      const [row] = await tableRows(page);
      await page.click(`tr[data-customer-id="${row!.customer_id}"]`);
      await page.waitForSelector('[data-testid="customer-details"][aria-busy="false"] [data-testid="details-expected-revenue"]');
      const details = (await (await fetch(`${baseUrl}/api/customers/${encodeURIComponent(row!.customer_id)}/details`)).json()) as CustomerDetails;
      const prediction = details.prediction!;
      const [fromDb] = await sql<{ expected_revenue: number }[]>`
        select expected_revenue::float8 as expected_revenue from salesdash.predictions where customer_id = ${row!.customer_id}`;
      t.equal(prediction.expected_revenue, fromDb!.expected_revenue, "the API sends the database's figure");
      t.equal(await page.textContent('[data-testid="details-expected-revenue"]'), money(prediction.expected_revenue!), 'expected revenue as the API sent it');
      t.equal(
        await page.textContent('[data-testid="details-expected-orders"]'),
        prediction.expected_orders!.toLocaleString('en-US', { maximumFractionDigits: 2 }),
        'expected orders as the API sent them',
      );
      t.match(await page.textContent('[data-testid="customer-details"]'), `Expected revenue, next ${prediction.horizon_days} days`, 'over the horizon');
      await page.screenshot({ path: path.join(screenshots, '8-customer-expected.png'), fullPage: true });
    });

    t.same(consoleErrors, [], 'no console errors');
    await context.close();
  } finally {
    await browser.close();
    await app.close();
    for (const line of timings) t.comment(`measured (shared 2-core machine): ${line}`);
    t.comment(`screenshots saved in ${screenshots}`);
  }
});
