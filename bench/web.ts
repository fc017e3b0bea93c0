// Measures the dashboard the way a user meets it, in headless Chromium (Debian's package, driven by
// playwright-core): the first view (navigation until the charts are drawn and the first table page is on
// screen, as recorded by the page itself in web/src/first-view.ts), the repaint after changing the segment
// or the page, and the gzipped bundle. Used by the lead's bench runner and by test/web/e2e.test.ts.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bundleSize } from '../web/build.ts';

export const chromiumPath = '/usr/bin/chromium';
export const chromiumMissing = `chromium not found at ${chromiumPath}; skipping browser test`;
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export function hasChromium(): boolean {
  return existsSync(chromiumPath);
}

export async function launchChromium(): Promise<Browser> {
  if (!hasChromium()) throw new Error(chromiumMissing);
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** Loads the dashboard and returns the page's own first-view figure (ms since navigation start). */
export async function measureFirstView(page: Page, url: string): Promise<number> {
  await page.goto(url);
  const handle = await page.waitForFunction(() => document.documentElement.dataset.firstViewMs, null, { timeout: 30_000 });
  return Number(await handle.jsonValue());
}

/**
 * Time from a click to the table showing the rows of `expectedQuery` (a fragment of the API path, e.g.
 * "segment=Lost&") and the browser having painted them (two animation frames later).
 */
async function measureTableRepaint(page: Page, clickSelector: string, expectedQuery: string): Promise<number> {
  // Kept as source text: tsx would wrap named functions in a __name helper that does not exist in the page.
  return page.evaluate(`(async () => {
    const table = document.querySelector('[data-testid="rfm-table"]');
    const target = document.querySelector(${JSON.stringify(clickSelector)});
    if (!target) throw new Error('nothing matches ' + ${JSON.stringify(clickSelector)});
    const expected = ${JSON.stringify(expectedQuery)};
    const started = performance.now();
    const shown = new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error('the table did not show ' + expected + ' within 30 s')), 30000);
      const observer = new MutationObserver(() => {
        if ((table.getAttribute('data-loaded-path') || '').includes(expected)) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe(table, { attributes: true, attributeFilter: ['data-loaded-path'] });
    });
    target.click();
    await shown;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return performance.now() - started;
  })()`) as Promise<number>;
}

/** Clicks the segment's button under the chart and waits for its first table page. The segment must not be
 * the selected one already (clicking that clears the filter instead). */
export function measureSegmentChange(page: Page, segment: string): Promise<number> {
  const query = `${new URLSearchParams({ segment })}&`;
  return measureTableRepaint(page, `button[data-segment="${segment.replace(/"/g, '\\"')}"]`, query);
}

/** Clicks "Next" and waits for the given page's rows. */
export function measureNextPage(page: Page, nextPageNumber: number): Promise<number> {
  return measureTableRepaint(page, '[data-testid="page-next"]', `page=${nextPageNumber}&`);
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface WebBenchResult {
  /** Navigation until charts drawn and first table page shown, in a fresh browser context (cold cache). */
  firstViewMs: number;
  /** Median time from a segment click to its first table page painted. */
  repaintMs: number;
  /** Median time from "Next" to the next table page painted. */
  pageRepaintMs: number;
  repaintSamplesMs: number[];
  bundleGzipKb: number;
}

/** Measures the dashboard served at baseUrl (e.g. http://127.0.0.1:5000). */
export async function benchFirstView(baseUrl: string): Promise<WebBenchResult> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const firstViewMs = await measureFirstView(page, new URL('/', baseUrl).toString());
    const segments: string[] = await page.$$eval('button[data-segment]', (buttons) =>
      buttons.map((b) => b.getAttribute('data-segment') ?? ''),
    );
    const repaintSamplesMs: number[] = [];
    for (const segment of segments.slice(0, 5)) repaintSamplesMs.push(await measureSegmentChange(page, segment));
    const pageSamples: number[] = [];
    for (let next = 2; next <= 4; next++) {
      if (await page.locator('[data-testid="page-next"]').isDisabled()) break;
      pageSamples.push(await measureNextPage(page, next));
    }
    await context.close();
    const ms = (value: number) => Math.round(value * 10) / 10;
    return {
      firstViewMs: ms(firstViewMs),
      repaintMs: ms(median(repaintSamplesMs)),
      pageRepaintMs: pageSamples.length ? ms(median(pageSamples)) : NaN,
      repaintSamplesMs: repaintSamplesMs.map(ms),
      bundleGzipKb: Number(bundleSize().gzipKb.toFixed(1)),
    };
  } finally {
    await browser.close();
  }
}
