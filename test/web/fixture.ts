// A small deterministic shop for the browser test, used while no data generator is available: persons who
// buy 1..6 times over two years (Olist layout: one order-level customer_id per order), some canceled
// orders, products with categories so purchase histories name what was bought.
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../bench/web.ts';
import { connectApiPool } from '../../db/api-pool.ts';
import { API_ROLE, type Sql } from '../../db/connection.ts';

export async function loadShopFixture(sql: Sql, persons: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into raw.product_categories (product_category_name, product_category_name_english)
      values ('brinquedos', 'toys'), ('cama_mesa_banho', 'bed_bath_table'), ('relogios_presentes', 'watches_gifts')`;
    await tx`
      insert into raw.products (product_id, product_category_name, product_name)
      select 'prod' || i,
             (array['brinquedos', 'cama_mesa_banho', 'relogios_presentes'])[1 + i % 3],
             case when i % 2 = 0 then 'Product ' || i end
      from generate_series(1, 30) as i`;
    // One temporary row per order; the three inserts below read it on this same connection.
    await tx`
      create temporary table fixture_orders on commit drop as
      select p, o,
             'person' || lpad(p::text, 5, '0') as person,
             'order_' || p || '_' || o as order_id,
             'oc_' || p || '_' || o as order_customer_id,
             timestamp '2018-08-31 12:00' - make_interval(days => (p * 37 + o * 113) % 720, hours => (p + o) % 24) as purchased_at,
             case when (p + o) % 17 = 0 then 'canceled' else 'delivered' end as status
      from generate_series(1, ${persons}::int) as p
      cross join lateral generate_series(1, 1 + p % 6) as o`;
    await tx`
      insert into raw.customers (customer_id, customer_unique_id, customer_zip_code_prefix, customer_city, customer_state)
      select order_customer_id, person, '01000', 'sao paulo', 'SP' from fixture_orders`;
    await tx`
      insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
      select order_id, order_customer_id, status, purchased_at from fixture_orders`;
    await tx`
      insert into raw.order_items (order_id, order_item_id, product_id, price, freight_value)
      select order_id, item, 'prod' || (1 + (p * 7 + o * 3 + item) % 30), 10 + (p * 31 + o * 17 + item * 5) % 400, 5 + p % 20
      from fixture_orders cross join lateral generate_series(1, 1 + (p + o) % 2) as item`;
  });
}

/**
 * The app serving the dashboard built into webDir, working as the API's role as `salesdash serve` does, a
 * headless Chromium and a folder for screenshots. The pool closes when `t` ends; the caller closes the app
 * and the browser.
 */
export async function serveDashboard(t: { teardown(fn: () => unknown): void }, url: string, webDir: string) {
  const { buildApp } = await import('../../http/app.ts');
  const apiSql = connectApiPool(url, { max: 4, role: API_ROLE });
  t.teardown(() => apiSql.end({ timeout: 1 }));
  const app = await buildApp({ sql: apiSql, webDir, exports: { databaseUrl: url, role: API_ROLE } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  const screenshots = mkdtempSync(path.join(os.tmpdir(), 'salesdash-screenshots-'));
  return { app, baseUrl, browser, screenshots };
}

/**
 * The page's console and page errors, as they come. Chromium logs every non-2xx fetch as a console error: the
 * metrics' 503 ("no model yet") is an expected answer and left out, and so is any while `expectingFailure()`
 * says a test provokes one.
 */
export function collectConsoleErrors(page: Page, expectingFailure: () => boolean = () => false): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const source = message.location().url;
    if (source.endsWith('/api/model/metrics') && message.text().includes('503')) return;
    if (expectingFailure()) return;
    errors.push(`${message.text()} (${source})`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}
