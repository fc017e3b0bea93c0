import { cpSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { importOlist } from '../../jobs/import/olist.ts';
import { sharedDataDir, testDatabase } from '../helpers/db.ts';
import { rawSnapshot } from './raw-snapshot.ts';

const fixture = new URL('../fixtures/olist-small/', import.meta.url).pathname;
const realOlist = join(sharedDataDir, 'olist');

/** A copy of the fixture with one file edited, so each rejection case starts from otherwise valid files. */
function fixtureWith(t: { teardown(fn: () => void): void }, file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'salesdash-olist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(fixture, dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  return dir;
}

t.test('the small Olist fixture loads with exact counts and values', async (t) => {
  const { sql } = await testDatabase(t);
  const counts = await importOlist(sql, fixture);
  t.match(counts, { customers: 6, orders: 5, items: 5, products: 3 });

  const snapshot = await rawSnapshot(sql);
  t.match(snapshot, { customers: 6, people: 5, orders: 5, items: 5, products: 3, categories: 3 });

  const [person] = await sql`
    select count(*)::int as customer_ids from raw.customers where customer_unique_id = 'p0000000000000000000000000000001'`;
  t.equal(person.customer_ids, 2, 'one person with two order-level customer ids');

  const cities = await sql`select customer_city from raw.customers order by customer_id`;
  t.same(
    cities.map((c) => c.customer_city),
    ['são paulo', 'são paulo', 'niterói', "santa bárbara d'oeste", 'florianópolis', 'belo horizonte'],
    'accents and apostrophes preserved, quoted or not',
  );

  const [canceled] = await sql`
    select order_status, order_approved_at, order_delivered_customer_date, order_estimated_delivery_date::text
    from raw.orders where order_id = 'o0000000000000000000000000000003'`;
  t.same(canceled, {
    order_status: 'canceled',
    order_approved_at: null,
    order_delivered_customer_date: null,
    order_estimated_delivery_date: '2017-12-11 00:00:00',
  });
  const [shipped] = await sql`
    select order_delivered_carrier_date::text, order_delivered_customer_date
    from raw.orders where order_id = 'o0000000000000000000000000000004'`;
  t.same(shipped, { order_delivered_carrier_date: '2018-08-30 10:00:00', order_delivered_customer_date: null });

  const [revenue] = await sql`select sum(price + freight_value)::float8 as total from raw.order_items`;
  t.equal(revenue.total, 29.99 + 8.72 + 29.99 + 8.72 + 118.7 + 22.35 + 45 + 15.1 + 109.9);

  const products = await sql`
    select p.product_id, p.product_category_name, c.product_category_name_english
    from raw.products p left join raw.product_categories c using (product_category_name) order by 1`;
  t.same(
    products.map((p) => [p.product_category_name, p.product_category_name_english]),
    [['perfumaria', 'perfumery'], ['cama_mesa_banho', 'bed_bath_table'], [null, null]],
    'categories translated through the BOM-prefixed translation file; an empty category is NULL',
  );
});

t.test('importing the same files again duplicates and changes nothing', async (t) => {
  const { sql } = await testDatabase(t);
  await importOlist(sql, fixture);
  const first = await rawSnapshot(sql);
  await importOlist(sql, fixture);
  t.same(await rawSnapshot(sql), first);
});

t.test('a newer export updates order statuses in place', async (t) => {
  const { sql } = await testDatabase(t);
  await importOlist(sql, fixture);
  const newer = fixtureWith(t, 'olist_orders_dataset.csv', (text) =>
    text.replace('shipped,2018-08-28 15:44:10,2018-08-28 16:05:29,2018-08-30 10:00:00,,', 'delivered,2018-08-28 15:44:10,2018-08-28 16:05:29,2018-08-30 10:00:00,2018-09-04 12:00:00,'),
  );
  await importOlist(sql, newer);
  const [order] = await sql`
    select order_status, order_delivered_customer_date::text from raw.orders where order_id = 'o0000000000000000000000000000004'`;
  t.same(order, { order_status: 'delivered', order_delivered_customer_date: '2018-09-04 12:00:00' });
  t.equal((await rawSnapshot(sql)).orders, 5);
});

t.test('a canceled order counts as none however its status is spelled', async (t) => {
  const { sql } = await testDatabase(t);
  const counted = async () => (await sql`select order_id from salesdash_internal.int_counted_orders order by 1`).map((r) => r.order_id);
  await importOlist(sql, fixture);
  const asShipped = await counted();
  t.ok(asShipped.includes('o0000000000000000000000000000004'), 'shipped, it is a purchase');
  for (const spelling of ['Canceled', 'CANCELLED', ' cancelled ', 'Unavailable']) {
    const dir = fixtureWith(t, 'olist_orders_dataset.csv', (text) =>
      text.replace('"o0000000000000000000000000000004","c0000000000000000000000000000004",shipped', `"o0000000000000000000000000000004","c0000000000000000000000000000004",${spelling}`));
    await importOlist(sql, dir);
    const [order] = await sql`select order_status from raw.orders where order_id = 'o0000000000000000000000000000004'`;
    t.equal(order!.order_status, spelling, `stored as exported: ${JSON.stringify(spelling)}`);
    t.same(await counted(), asShipped.filter((id) => id !== 'o0000000000000000000000000000004'), `${JSON.stringify(spelling)} is not a purchase`);
  }
});

t.test('products and translation files are optional', async (t) => {
  const { sql } = await testDatabase(t);
  const dir = fixtureWith(t, 'olist_orders_dataset.csv', (text) => text);
  rmSync(join(dir, 'olist_products_dataset.csv'));
  rmSync(join(dir, 'product_category_name_translation.csv'));
  const counts = await importOlist(sql, dir);
  t.equal(counts.products, undefined);
  t.match(await rawSnapshot(sql), { customers: 6, orders: 5, items: 5, products: 0, categories: 0 });
});

// Each bad file must be rejected with a message naming file, line and column, leaving the database as it was,
// both when it is empty and after an earlier successful import.
/** The date `days` from now (UTC), as YYYY-MM-DD. */
const dateFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

t.test('promised dates may lie ahead, events at most a day', async (t) => {
  const { sql } = await testDatabase(t);
  const soon = fixtureWith(t, 'olist_orders_dataset.csv', (text) =>
    text
      .replace('2018-09-20 00:00:00', `${dateFromNow(300)} 00:00:00`)
      .replace('2018-08-28 15:44:10', `${dateFromNow(1)} 00:00:00`),
  );
  await importOlist(sql, soon);
  const [order] = await sql`
    select order_purchase_timestamp::text as purchased, order_estimated_delivery_date::text as estimated
    from raw.orders where order_id = 'o0000000000000000000000000000004'`;
  t.same(order, { purchased: `${dateFromNow(1)} 00:00:00`, estimated: `${dateFromNow(300)} 00:00:00` });
});

const rejections: { name: string; file: string; edit: (text: string) => string; message: string | RegExp }[] = [
  {
    name: 'a missing column',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('"order_status",', '"status",'),
    message: /^olist_orders_dataset\.csv line 1: missing column order_status \(header: /,
  },
  {
    name: 'an impossible date',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('2017-11-20 20:01:02', '2017-13-01 20:01:02'),
    message: 'olist_orders_dataset.csv line 4, column order_purchase_timestamp: "2017-13-01 20:01:02" is not a timestamp',
  },
  {
    name: 'an unparseable amount',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace('118.70', '118,70'),
    message: /^olist_order_items_dataset\.csv line 4/,
  },
  {
    name: 'a quoted decimal comma (the Olist layout has no --decimal-comma, so none is suggested)',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace('118.70', '"118,70"'),
    message: 'olist_order_items_dataset.csv line 4, column price: "118,70" is not an amount (write a number with a dot before the cents and no thousands separator, e.g. 1234.50)',
  },
  {
    name: 'a non-numeric amount',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace('118.70', 'abc'),
    message: 'olist_order_items_dataset.csv line 4, column price: "abc" is not an amount (write a number with a dot before the cents and no thousands separator, e.g. 1234.50)',
  },
  {
    name: 'a negative amount',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace(',22.35', ',-22.35'),
    message: 'olist_order_items_dataset.csv line 4, column freight_value: "-22.35" is negative',
  },
  {
    name: 'an item of an unknown order',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace('"o0000000000000000000000000000004",1', '"o9999999999999999999999999999999",1'),
    message:
      'olist_order_items_dataset.csv line 6, column order_id: order "o9999999999999999999999999999999" is neither in olist_orders_dataset.csv nor already imported',
  },
  {
    name: 'an order of an unknown customer',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('"c0000000000000000000000000000005",unavailable', '"c9999999999999999999999999999999",unavailable'),
    message:
      'olist_orders_dataset.csv line 6, column customer_id: customer "c9999999999999999999999999999999" is neither in olist_customers_dataset.csv nor already imported',
  },
  {
    name: 'an item of an order whose id differs from a known one only in case',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace('"o0000000000000000000000000000004",1', '"O0000000000000000000000000000004",1'),
    message:
      'olist_order_items_dataset.csv line 6, column order_id: order "O0000000000000000000000000000004" is neither in olist_orders_dataset.csv nor already imported; "o0000000000000000000000000000004" differs from it only in spaces or case (ids are compared exactly)',
  },
  {
    name: 'a repeated order id',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('"o0000000000000000000000000000005"', '"o0000000000000000000000000000002"'),
    message: 'olist_orders_dataset.csv line 6, column order_id: "o0000000000000000000000000000002" repeats line 3',
  },
  {
    name: 'a row with a missing field',
    file: 'olist_customers_dataset.csv',
    edit: (text) => text.replace(',niterói,RJ', ',niterói'),
    message: 'olist_customers_dataset.csv line 4: expected 5 fields, found 4',
  },
  {
    // One person (two order-level customer ids, two orders): each order fits, their sum does not.
    name: "a person's items (price + freight) beyond what their monetary value can hold",
    file: 'olist_order_items_dataset.csv',
    edit: (text) =>
      text +
      Array.from({ length: 26 }, (_, i) => `o0000000000000000000000000000001,${i + 3},,,,9999999999.99,9999999999.99\n`).join('') +
      Array.from({ length: 25 }, (_, i) => `o0000000000000000000000000000002,${i + 2},,,,9999999999.99,9999999999.99\n`).join(''),
    message:
      'olist_order_items_dataset.csv: customer "p0000000000000000000000000000001"\'s purchases would total 1,020,000,000,217.45, more than 999,999,999,999.99 (the most a customer\'s monetary value can hold)',
  },
  {
    name: 'an id of only whitespace',
    file: 'olist_customers_dataset.csv',
    edit: (text) => text.replace('"p0000000000000000000000000000003"', '"\u00a0\u00a0"'),
    message: 'olist_customers_dataset.csv line 5, column customer_unique_id: "\\u00a0\\u00a0" is only whitespace',
  },
  {
    name: 'an empty purchase timestamp',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('delivered,2018-01-15 09:12:01', 'delivered,'),
    message: 'olist_orders_dataset.csv line 3, column order_purchase_timestamp: is empty (a timestamp is required)',
  },
  {
    name: 'a purchase in year 0001',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('delivered,2018-01-15 09:12:01', 'delivered,0001-01-15 09:12:01'),
    message:
      'olist_orders_dataset.csv line 3, column order_purchase_timestamp: "0001-01-15 09:12:01" is before 1970-01-01 (the earliest timestamp accepted)',
  },
  {
    name: 'a purchase in year 9999',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('delivered,2018-01-15 09:12:01', 'delivered,9999-12-31 09:12:01'),
    message:
      /^olist_orders_dataset\.csv line 3, column order_purchase_timestamp: "9999-12-31 09:12:01" is more than one day after this import \(latest accepted: /,
  },
  {
    name: 'an approval in year 0000',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('2018-01-15 09:30:00', '0000-01-15 09:30:00'),
    message: 'olist_orders_dataset.csv line 3, column order_approved_at: "0000-01-15 09:30:00" is before 1970-01-01 (the earliest timestamp accepted)',
  },
  {
    name: 'a carrier date two days ahead',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('2018-01-17 14:00:00', `${dateFromNow(2)} 14:00:00`),
    message: /^olist_orders_dataset\.csv line 3, column order_delivered_carrier_date: "[-\d]{10} 14:00:00" is more than one day after this import/,
  },
  {
    name: 'a delivery in 1969',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('2018-01-24 18:03:44', '1969-01-24 18:03:44'),
    message:
      'olist_orders_dataset.csv line 3, column order_delivered_customer_date: "1969-01-24 18:03:44" is before 1970-01-01 (the earliest timestamp accepted)',
  },
  {
    name: 'an estimated delivery in year 9999',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('2018-02-05 00:00:00', '9999-02-05 00:00:00'),
    message:
      /^olist_orders_dataset\.csv line 3, column order_estimated_delivery_date: "9999-02-05 00:00:00" is more than 366 days after this import \(latest accepted: /,
  },
  {
    name: 'a shipping limit in year 9999',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace('2018-01-19 09:30:00', '9999-01-19 09:30:00'),
    message: /^olist_order_items_dataset\.csv line 4, column shipping_limit_date: "9999-01-19 09:30:00" is more than 366 days after this import/,
  },
  {
    name: 'a 10 MB person id',
    file: 'olist_customers_dataset.csv',
    edit: (text) => text.replace('p0000000000000000000000000000002', 'p'.repeat(10 * 1024 * 1024)),
    message:
      'olist_customers_dataset.csv line 4, column customer_unique_id: "pppppppppppppppppppppppppppppppppppppppp"… (10485760 characters) is too long (an id has at most 128 characters)',
  },
  {
    name: 'a customer id with a newline',
    file: 'olist_customers_dataset.csv',
    edit: (text) => text.replace('"c0000000000000000000000000000004"', '"c000\n4"'),
    message:
      'olist_customers_dataset.csv line 5, column customer_id: "c000\\n4" contains a control character (U+0000-U+001F and U+007F are not allowed in ids)',
  },
  {
    name: 'an order id of 129 characters',
    file: 'olist_orders_dataset.csv',
    edit: (text) => text.replace('"o0000000000000000000000000000002"', 'o'.repeat(129)),
    message:
      'olist_orders_dataset.csv line 3, column order_id: "oooooooooooooooooooooooooooooooooooooooo"… (129 characters) is too long (an id has at most 128 characters)',
  },
  {
    name: 'a seller id with a tab',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace('"s0000000000000000000000000000002",2018-01-19', '"s\t2",2018-01-19'),
    message:
      'olist_order_items_dataset.csv line 4, column seller_id: "s\\t2" contains a control character (U+0000-U+001F and U+007F are not allowed in ids)',
  },
  {
    name: 'a product id with a control character',
    file: 'olist_products_dataset.csv',
    edit: (text) => text.replace('"x0000000000000000000000000000003"', '"x\u00013"'),
    message:
      'olist_products_dataset.csv line 4, column product_id: "x\\u00013" contains a control character (U+0000-U+001F and U+007F are not allowed in ids)',
  },
  {
    name: 'a category name of 1 MB',
    file: 'product_category_name_translation.csv',
    edit: (text) => text.replace('beleza_saude', 'b'.repeat(1024 * 1024)),
    message:
      'product_category_name_translation.csv line 4, column product_category_name: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"… (1048576 characters) is too long (an id has at most 128 characters)',
  },
  {
    name: 'a freight finer than a cent',
    file: 'olist_order_items_dataset.csv',
    edit: (text) => text.replace(',22.35', ',22.355'),
    message:
      'olist_order_items_dataset.csv line 4, column freight_value: "22.355" has more than 2 decimals (amounts are stored in cents and never rounded)',
  },
];

for (const rejection of rejections) {
  t.test(`rejects ${rejection.name} and leaves the database unchanged`, async (t) => {
    const { sql } = await testDatabase(t);
    const bad = fixtureWith(t, rejection.file, rejection.edit);

    const empty = await rawSnapshot(sql);
    const failure = await importOlist(sql, bad).then(() => null, (error: Error) => error);
    t.match(failure, { message: rejection.message }, 'on an empty database');
    t.ok(failure && failure.message.length <= 300 && !failure.message.includes('\n'), 'one short line');
    t.same(await rawSnapshot(sql), empty);

    await importOlist(sql, fixtureWith(t, 'olist_orders_dataset.csv', (text) => text.replace(/\n"o0000000000000000000000000000005".*\n/, '\n')));
    const loaded = await rawSnapshot(sql);
    t.equal(loaded.orders, 4);
    await t.rejects(importOlist(sql, bad), { message: rejection.message }, 'after an earlier import');
    t.same(await rawSnapshot(sql), loaded);
  });
}

t.test('names a missing required file', async (t) => {
  const { sql } = await testDatabase(t);
  const dir = fixtureWith(t, 'olist_orders_dataset.csv', (text) => text);
  rmSync(join(dir, 'olist_order_items_dataset.csv'));
  await t.rejects(importOlist(sql, dir), { message: `olist_order_items_dataset.csv: file not found in ${dir}` });
});

t.test('names a directory that does not exist, or a file given as the directory', async (t) => {
  const { sql } = await testDatabase(t);
  const dir = fixtureWith(t, 'olist_orders_dataset.csv', (text) => text);
  await t.rejects(importOlist(sql, join(dir, 'nonexist')), { message: `${join(dir, 'nonexist')}: the directory does not exist` });
  const file = join(dir, 'olist_orders_dataset.csv');
  await t.rejects(importOlist(sql, file), { message: `${file}: not a directory (import olist reads a directory of CSV files)` });
});

t.test(
  'the real Olist files load completely',
  { skip: existsSync(join(realOlist, 'olist_orders_dataset.csv')) ? false : 'needs ../shared/data/olist/' },
  async (t) => {
    const { sql } = await testDatabase(t);
    const counts = await importOlist(sql, realOlist);
    t.match(counts, { customers: 99_441, orders: 10_082, items: 11_343, products: 32_951 });
    t.match(await rawSnapshot(sql), {
      customers: 99_441,
      people: 96_096,
      orders: 10_082,
      items: 11_343,
      products: 32_951,
      categories: 71,
    });
    t.comment(`real Olist import: ${counts.seconds.toFixed(2)} s (shared machine)`);
  },
);
