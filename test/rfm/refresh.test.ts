import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import { loadHandFixture, loadHandFixtureItems } from './fixture.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';
import { checkPageOrders } from './page-orders.ts';

const columns = 'customer_id, last_purchased_date::text, recency_days, frequency, monetary::float8, recency_score, frequency_score, monetary_score, overall_rfm_score, segment, calculated_date::text';

t.test('exact R/F/M per person on the hand fixture', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  const result = await refreshRfm(sql);
  t.equal(result.customers, 3, 'dave (order without items) is not a customer');
  t.equal(result.reference_date, '2024-03-10', 'reference = latest counted purchase');

  const rows = await sql.unsafe(`select ${columns} from salesdash.rfm_scores order by customer_id`);
  t.same(rows.map((r) => ({ ...r })), [
    // two order-level ids, one person: 2 orders, 12 + 5 + 110 = 127
    { customer_id: 'alice', last_purchased_date: '2024-03-01', recency_days: 9, frequency: 2, monetary: 127,
      recency_score: 2, frequency_score: 4, monetary_score: 4, overall_rfm_score: 244, segment: 'At-Risk', calculated_date: '2024-03-10' },
    // the canceled 999 order does not count
    { customer_id: 'bob', last_purchased_date: '2024-02-01', recency_days: 38, frequency: 1, monetary: 55,
      recency_score: 1, frequency_score: 1, monetary_score: 2, overall_rfm_score: 112, segment: 'Lost', calculated_date: '2024-03-10' },
    { customer_id: 'carol', last_purchased_date: '2024-03-10', recency_days: 0, frequency: 1, monetary: 20,
      recency_score: 4, frequency_score: 1, monetary_score: 1, overall_rfm_score: 411, segment: 'Promising', calculated_date: '2024-03-10' },
  ]);
});

t.test('an as-of date before every purchase is refused and publishes nothing', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  await t.rejects(refreshRfm(sql, '2024-01-09'), {
    code: '22023',
    message: 'as_of 2024-01-09: no purchase on or before it (the first is on 2024-01-10); nothing was computed',
  });
  const [status] = await sql`select reference_date::text, customers from salesdash.rfm_refresh_status`;
  t.same({ ...status }, { reference_date: '2024-03-10', customers: 3 }, 'the published refresh stays');
  const onTheDay = await refreshRfm(sql, '2024-01-10');
  t.equal(onTheDay.customers, 1, 'the day of the first purchase is fine');
});

t.test('an as-of date after tomorrow is refused by refresh_rfm and take_rfm_snapshot, and nothing is kept', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const [{ tomorrow, later }] = await sql<{ tomorrow: string; later: string }[]>`
    select (current_date + 1)::text as tomorrow, (current_date + 2)::text as later`;
  const refused = `as_of ${later}: after tomorrow (${tomorrow}), when no purchase can be dated yet; nothing was computed`;
  await t.rejects(sql`select salesdash.refresh_rfm(${later}::date)`, { code: '22023', message: refused });
  await t.rejects(sql`select salesdash.take_rfm_snapshot(${later}::date)`, { code: '22023', message: refused });
  const snapshots = await sql`select reference_date::text from salesdash_internal.rfm_snapshots order by 1`;
  t.same(snapshots.map((r) => r.reference_date), ['2024-03-10'], 'only the published refresh\'s snapshot');
  const [status] = await sql`select reference_date::text from salesdash.rfm_refresh_status`;
  t.equal(status!.reference_date, '2024-03-10', 'the published refresh stays');
  const [onTomorrow] = await sql`select salesdash.refresh_rfm(${tomorrow}::date) ->> 'reference_date' as reference_date`;
  t.equal(onTomorrow!.reference_date, tomorrow, 'tomorrow is accepted (a day ahead, as imports allow)');
});

t.test('an as-of date in the middle ignores later purchases entirely', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  const result = await refreshRfm(sql, '2024-02-15');
  t.equal(result.customers, 2, 'carol first bought after the as-of date');
  t.equal(result.reference_date, '2024-02-15');
  const rows = await sql`select customer_id, recency_days, frequency, monetary::float8 as monetary, calculated_date::text
                         from salesdash.rfm_scores order by customer_id`;
  t.same(rows.map((r) => ({ ...r })), [
    { customer_id: 'alice', recency_days: 36, frequency: 1, monetary: 17, calculated_date: '2024-02-15' },
    { customer_id: 'bob', recency_days: 14, frequency: 1, monetary: 55, calculated_date: '2024-02-15' },
  ]);
  const [status] = await sql`select reference_date::text, as_of::text, customers from salesdash.rfm_refresh_status`;
  t.same({ ...status }, { reference_date: '2024-02-15', as_of: '2024-02-15', customers: 2 });

  // A DBA's plain refresh keeps the as-of date of the last refresh_rfm().
  await sql`refresh materialized view salesdash.rfm_scores`;
  const [again] = await sql`select count(*)::int as n, max(calculated_date)::text as d from salesdash.rfm_scores`;
  t.same({ ...again }, { n: 2, d: '2024-02-15' });
});

t.test('summaries, histograms, monthly activity and paging agree with the scores', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const summary = await sql`select segment, customers, revenue from salesdash.segment_summary where customers > 0 order by display_order`;
  t.same(summary.map((r) => ({ ...r })), [
    { segment: 'Promising', customers: 1, revenue: 20 },
    { segment: 'At-Risk', customers: 1, revenue: 127 },
    { segment: 'Lost', customers: 1, revenue: 55 },
  ]);
  const [segments] = await sql`select count(*)::int as n from salesdash.segment_summary`;
  t.equal(segments!.n, 11, 'every segment of the rules is listed, empty ones with 0');

  const monthly = await sql`select month::text, orders, revenue, active_customers from salesdash.monthly_activity`;
  t.same(monthly.map((r) => ({ ...r })), [
    { month: '2024-01-01', orders: 1, revenue: 17, active_customers: 1 },
    { month: '2024-02-01', orders: 1, revenue: 55, active_customers: 1 },
    { month: '2024-03-01', orders: 2, revenue: 130, active_customers: 2 },
  ]);
  const frequency = await sql`select bucket, lower_bound, upper_bound, customers from salesdash.rfm_histograms where metric = 'frequency'`;
  t.same(frequency.map((r) => ({ ...r })), [
    { bucket: 1, lower_bound: 1, upper_bound: 2, customers: 2 },
    { bucket: 2, lower_bound: 2, upper_bound: 3, customers: 1 },
  ]);
  // 20 equal-width buckets: monetary over [0, 127] (the 99th percentile of 20, 55, 127), recency over [0, 38] days
  const filled = await sql`select metric, bucket, customers from salesdash.rfm_histograms
                           where metric in ('monetary', 'recency_days') and customers > 0 order by metric, bucket`;
  t.same(filled.map((r) => [r.metric, r.bucket, r.customers]), [
    ['monetary', 4, 1], ['monetary', 9, 1], ['monetary', 20, 1],
    ['recency_days', 1, 1], ['recency_days', 5, 1], ['recency_days', 20, 1],
  ]);
  const [histogramTotals] = await sql`select count(distinct metric)::int as metrics, sum(customers)::int as customers from salesdash.rfm_histograms`;
  t.same({ ...histogramTotals }, { metrics: 3, customers: 9 }, 'each metric counts every customer once');

  const page = async (segment: string | null, sortBy: string, descending: boolean, pageNo: number, limit: number) =>
    (await sql`select customer_id from api.rfm_page(${segment}, ${sortBy}, ${descending}, ${pageNo}, ${limit})`).map((r) => r.customer_id);
  t.same(await page(null, 'monetary', true, 1, 2), ['alice', 'bob']);
  t.same(await page(null, 'monetary', true, 2, 2), ['carol']);
  t.same(await page(null, 'monetary', false, 1, 2), ['carol', 'bob']);
  t.same(await page(null, 'recency', false, 1, 10), ['carol', 'alice', 'bob']);
  t.same(await page(null, 'frequency', true, 1, 10), ['alice', 'carol', 'bob'], 'ties broken by customer_id, descending');
  t.same(await page(null, 'frequency', false, 1, 10), ['bob', 'carol', 'alice'], 'ties broken by customer_id, ascending');
  t.same(await page('Lost', 'rfm_score', true, 1, 10), ['bob']);
  t.same(await page('Champions', 'rfm_score', true, 1, 10), []);
  t.same(await page(null, 'monetary', true, 5000, 100), [], 'a page past the end is empty');
  await t.rejects(sql`select * from api.rfm_page(null, 'price; drop table raw.orders', true, 1, 10)`, { code: '22023' });
  await t.rejects(sql`select * from api.rfm_page(null, 'monetary', true, 0, 10)`, { code: '22023' });
});

t.test('analyst cut points replace quintiles for one metric', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await sql`insert into salesdash.rfm_score_bounds (metric, score, bound) values ('monetary', 5, 100), ('monetary', 3, 50)`;
  await refreshRfm(sql);
  const rows = await sql`select customer_id, monetary_score, frequency_score from salesdash.rfm_scores order by customer_id`;
  t.same(rows.map((r) => ({ ...r })), [
    { customer_id: 'alice', monetary_score: 5, frequency_score: 4 },
    { customer_id: 'bob', monetary_score: 3, frequency_score: 1 },
    { customer_id: 'carol', monetary_score: 1, frequency_score: 1 },
  ]);
});

t.test('a cut point must be a value a customer can have: not negative, NaN, infinite or beyond numeric(14, 2)', async (t) => {
  const { sql } = await testDatabase(t);
  for (const bound of ['-5', 'NaN', 'Infinity', '1e30', '1000000000000']) {
    await t.rejects(sql`insert into salesdash.rfm_score_bounds (metric, score, bound) values ('monetary', 3, ${bound}::numeric)`,
      { code: '23514', constraint_name: 'rfm_score_bounds_bound_range' }, bound);
  }
  await sql`insert into salesdash.rfm_score_bounds (metric, score, bound) values ('monetary', 3, 999999999999.99), ('recency_days', 5, 0)`;
  const [n] = await sql`select count(*)::int as n from salesdash.rfm_score_bounds`;
  t.equal(n!.n, 2, 'the largest monetary value and 0 days are accepted');
});

t.test('segment rules must cover the 5 x 5 grid exactly once', async (t) => {
  const { sql } = await testDatabase(t);
  await t.rejects(sql`delete from salesdash.rfm_segment_rules where segment = 'Lost'`, { code: '23514' });
  await t.rejects(sql`update salesdash.rfm_segment_rules set r_max = 5 where segment = 'Loyal'`, { code: '23514' });
  // Merging two segments with two statements in one transaction is fine: the check runs at commit.
  await sql.begin(async (tx) => {
    await tx`delete from salesdash.rfm_segment_rules where segment = 'Promising'`;
    await tx`update salesdash.rfm_segment_rules set r_min = 4 where segment = 'New Customers'`;
  });
  const [cells] = await sql`select count(*)::int as n from salesdash_internal.int_rfm_segment_grid where segment is not null and rules_covering = 1`;
  t.equal(cells!.n, 25);
  // TRUNCATE fires no row trigger: it is refused outright, with what to do instead.
  await t.rejects(sql`truncate salesdash.rfm_segment_rules`, {
    code: '23514', message: 'segment rules must cover every R/F cell exactly once: truncate would leave none (delete and insert them in one transaction instead)',
  });
  // Up and down follow the display order, so two segments cannot share a place; they can swap places.
  await t.rejects(sql`update salesdash.rfm_segment_rules set display_order = 1 where segment = 'Loyal'`, { code: '23505' });
  await sql.begin(async (tx) => {
    await tx`update salesdash.rfm_segment_rules set display_order = 2 where segment = 'Champions'`;
    await tx`update salesdash.rfm_segment_rules set display_order = 1 where segment = 'Loyal'`;
  });
  const [first] = await sql`select segments[1] as segment from salesdash_internal.int_rfm_segment_names`;
  t.equal(first!.segment, 'Loyal', 'swapped');
  t.equal((await sql`select count(*)::int as n from salesdash.rfm_segment_rules`)[0]!.n, 10, 'the rules are all there');
});

t.test('a refresh of unchanged data gives identical scores', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const before = await sql`select md5(string_agg(r::text, ',' order by customer_id)) as h from salesdash.rfm_scores r`;
  await refreshRfm(sql);
  await sql`refresh materialized view concurrently salesdash.rfm_scores`;
  const after = await sql`select md5(string_agg(r::text, ',' order by customer_id)) as h from salesdash.rfm_scores r`;
  t.equal(after[0]!.h, before[0]!.h);
});

t.test('without ties each score holds exactly 20% of customers', async (t) => {
  const { sql } = await testDatabase(t);
  // 1,000 people, each with a different number of days since their one order and a different amount.
  await sql`insert into raw.customers (customer_id, customer_unique_id) select 'c' || g, 'p' || g from generate_series(1, 1000) g`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            select 'o' || g, 'c' || g, 'delivered', timestamp '2020-01-01' + g * interval '1 day' from generate_series(1, 1000) g`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value)
            select 'o' || g, 1, g * 1.5, 0 from generate_series(1, 1000) g`;
  await refreshRfm(sql);
  for (const score of ['recency_score', 'monetary_score'] as const) {
    const shares = await sql`select ${sql(score)} as score, count(*)::int as n from salesdash.rfm_scores group by 1 order by 1`;
    t.same(shares.map((r) => [r.score, r.n]), [[1, 200], [2, 200], [3, 200], [4, 200], [5, 200]], `${score}: 200 each`);
  }
  const [newest] = await sql`select recency_score, monetary_score from salesdash.rfm_scores where customer_id = 'p1000'`;
  t.same({ ...newest }, { recency_score: 5, monetary_score: 5 }, 'the latest and biggest buyer scores 5');
});

t.test('the counted orders cache follows the queued changes, and is rebuilt when too much changed', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  const cacheStep = (result: { steps: { step: string }[] }) => result.steps[0]!.step;
  t.equal(cacheStep(await refreshRfm(sql)), 'counted orders rebuilt', 'the first refresh builds the cache');
  t.equal(cacheStep(await refreshRfm(sql)), 'counted orders current', 'unchanged orders: nothing to do');

  // A new order for bob in April: bob's rows replaced, monthly activity grows a month.
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('o7', 'b1', 'delivered', '2024-04-02 08:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('o7', 1, 30, 1.5)`;
  const [queued] = await sql`select array_agg(distinct customer_id) as people from salesdash_internal.rfm_customer_changes`;
  t.same(queued!.people, ['bob'], 'only bob is queued');
  const afterOrder = await refreshRfm(sql);
  t.equal(cacheStep(afterOrder), 'counted orders updated');
  t.equal(afterOrder.reference_date, '2024-04-02');
  const [bob] = await sql`select frequency, monetary::float8 as monetary, recency_days from salesdash.rfm_scores where customer_id = 'bob'`;
  t.same({ ...bob }, { frequency: 2, monetary: 86.5, recency_days: 0 });
  const [april] = await sql`select orders, revenue, active_customers from salesdash.monthly_activity where month = '2024-04-01'`;
  t.same({ ...april }, { orders: 1, revenue: 31.5, active_customers: 1 });

  // Another as-of date reads the same cache; going back to the default too.
  await refreshRfm(sql, '2024-02-15');
  const [early] = await sql`select count(*)::int as customers, sum(frequency)::int as orders from salesdash.rfm_scores`;
  t.same({ ...early }, { customers: 2, orders: 2 });
  const [months] = await sql`select count(*)::int as n, max(month)::text as last from salesdash.monthly_activity`;
  t.same({ ...months }, { n: 2, last: '2024-02-01' }, 'monthly activity stops at the as-of date');
  await refreshRfm(sql);
  const [latest] = await sql`select count(*)::int as customers, sum(frequency)::int as orders from salesdash.rfm_scores`;
  t.same({ ...latest }, { customers: 3, orders: 5 });

  // A statement touching more rows than are worth queueing one person at a time asks for a rebuild: a tenth
  // of the cached rows, at least 100,000.
  const threshold = async () => (await sql`select salesdash_internal.rows_that_rebuild_everything()::int as n`)[0]!.n;
  t.equal(await threshold(), 100000, 'a small shop: 100,000 rows');
  await sql.begin(async (sql) => {
    await sql`update salesdash_internal.int_counted_orders_cache_state set rows_expected = 12000000`;
    t.equal((await sql`select salesdash_internal.rows_that_rebuild_everything()::int as n`)[0]!.n, 1200000, '12 million cached rows: 1.2 million');
    throw Object.assign(new Error('roll back'), { rollback: true });
  }).catch((error: { rollback?: boolean }) => { if (!error.rollback) throw error; });
  t.equal(await threshold(), 100000, 'unchanged after the rollback');

  // A TRUNCATE asks for a rebuild too.
  await sql`truncate raw.order_items`;
  t.equal(cacheStep(await refreshRfm(sql)), 'counted orders rebuilt');
  const [empty] = await sql`select count(*)::int as n from salesdash.rfm_scores`;
  t.equal(empty!.n, 0, 'no items, no counted orders');

  // A crash empties the unlogged cache; the next refresh notices and rebuilds it.
  await loadHandFixtureItems(sql);
  await refreshRfm(sql);
  await sql`truncate salesdash_internal.int_counted_orders_cache`;
  t.equal(cacheStep(await refreshRfm(sql)), 'counted orders rebuilt', 'an emptied cache is rebuilt');
  const [back] = await sql`select count(*)::int as n from salesdash.rfm_scores`;
  t.equal(back!.n, 3);
});

t.test('a statement changing more rows than are worth queueing asks for a rebuild, on every raw table and event', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  // 100,000 is the smallest threshold (rows_that_rebuild_everything); one more row is past it.
  const n = 100001;
  const queued = async () => {
    const [row] = await sql`select coalesce(bool_or(customer_id is null), false) as everything, count(*)::int as rows
                            from salesdash_internal.rfm_customer_changes`;
    await sql`delete from salesdash_internal.rfm_customer_changes`;
    return { ...row };
  };
  const statements: [string, () => Promise<unknown>][] = [
    ['insert into customers', () => sql`insert into raw.customers (customer_id, customer_unique_id) select 'bulk-c' || g, 'bulk-p' || g from generate_series(1, ${n}::int) g`],
    ['insert into orders', () => sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) select 'bulk-o' || g, 'bulk-c' || g, 'delivered', '2024-03-05' from generate_series(1, ${n}::int) g`],
    ['insert into order_items', () => sql`insert into raw.order_items (order_id, order_item_id, price) select 'bulk-o' || g, 1, 10 from generate_series(1, ${n}::int) g`],
    ['insert into refunds', () => sql`insert into raw.refunds (refund_id, customer_id, refunded_at, amount) select 'bulk-r' || g, 'bulk-c' || g, '2024-03-06', 1 from generate_series(1, ${n}::int) g`],
    ['update customers', () => sql`update raw.customers set customer_city = 'Bulk' where customer_id like 'bulk-c%'`],
    ['update orders', () => sql`update raw.orders set order_status = 'shipped' where order_id like 'bulk-o%'`],
    ['update order_items', () => sql`update raw.order_items set price = 11 where order_id like 'bulk-o%'`],
    ['update refunds', () => sql`update raw.refunds set amount = 2 where refund_id like 'bulk-r%'`],
    ['delete from refunds', () => sql`delete from raw.refunds where refund_id like 'bulk-r%'`],
    ['delete from order_items', () => sql`delete from raw.order_items where order_id like 'bulk-o%'`],
    ['delete from orders', () => sql`delete from raw.orders where order_id like 'bulk-o%'`],
    ['delete from customers', () => sql`delete from raw.customers where customer_id like 'bulk-c%'`],
  ];
  for (const [what, statement] of statements) {
    await statement();
    t.same(await queued(), { everything: true, rows: 1 }, `${what}, ${n} rows: everything queued, no person`);
  }
  // At the threshold itself each person is queued.
  await sql`insert into raw.customers (customer_id, customer_unique_id) select 'small-c' || g, 'small-p' || (g % 3) from generate_series(1, 100000) g`;
  t.same(await queued(), { everything: false, rows: 3 }, '100,000 rows: their 3 people queued');
});

t.test('fractional analyst bounds: days <= bound for recency, value >= bound for frequency and monetary', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  // recency days: alice 9, bob 38, carol 0; monetary: alice 127, bob 55, carol 20; frequency: 2, 1, 1
  await sql`insert into salesdash.rfm_score_bounds (metric, score, bound) values
              ('recency_days', 5, 0.5), ('recency_days', 4, 9.9), ('recency_days', 2, 38),
              ('frequency', 3, 1.5),
              ('monetary', 4, 54.999), ('monetary', 5, 127.01)`;
  await refreshRfm(sql);
  const rows = await sql`select customer_id, recency_score, frequency_score, monetary_score from salesdash.rfm_scores order by customer_id`;
  t.same(rows.map((r) => ({ ...r })), [
    { customer_id: 'alice', recency_score: 4, frequency_score: 3, monetary_score: 4 },
    { customer_id: 'bob', recency_score: 2, frequency_score: 1, monetary_score: 4 },
    { customer_id: 'carol', recency_score: 5, frequency_score: 1, monetary_score: 1 },
  ]);
});

t.test('every page order equals a plain ORDER BY of the scores, overall and per segment, both directions', async (t) => {
  const { sql } = await testDatabase(t);
  // 600 people with 1-6 orders each and many ties in every sort column.
  await sql`insert into raw.customers (customer_id, customer_unique_id) select 'c' || g, 'p' || lpad((g * 7919 % 600)::text, 4, '0') from generate_series(1, 600) g`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            select 'o' || g || '-' || k, 'c' || g, 'delivered', timestamp '2023-01-01' + ((g * 37 + k * 11) % 300) * interval '1 day'
            from generate_series(1, 600) g cross join generate_series(1, 1 + g % 6) k`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value)
            select order_id, 1, (length(order_id) * 10) % 70, 0 from raw.orders`;
  await refreshRfm(sql);
  await checkPageOrders(t, sql);
});

t.test('a page of keys is refused when it is not whole keys, or its generation is not kept', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const [{ generation }] = await sql<{ generation: string }[]>`select generation from salesdash_internal.rfm_publication`;
  const first = await sql`select customer_id from api.rfm_page_rows(${generation}::bigint, '\\x00000001'::bytea, false)`;
  t.equal(first.length, 1, 'one whole key, one row');
  await t.rejects(sql`select * from api.rfm_page_rows(${generation}::bigint, '\\x000001'::bytea, false)`,
    { code: '22023', message: 'person_keys must hold 4 bytes per key (got 3 bytes)' });
  await t.rejects(sql`select * from api.rfm_page_rows(999, '\\x00000001'::bytea, false)`,
    { code: '55000', message: 'generation 999 is not kept (dropped by a later refresh, or never published)' });
});

t.test('people keep their person_id through a rebuild of the caches; new people get the next ones', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const people = async () => (await sql`select person_id, customer_id from salesdash_internal.people order by person_id`)
    .map((r) => `${r.person_id}:${r.customer_id}`);
  t.same(await people(), ['1:alice', '2:bob', '3:carol'], 'numbered in customer_id order; dave has no counted order');
  // Each generation's rows carry the person's id, which indexes the snapshot.
  const carried = await sql`select customer_id, person_id from salesdash_internal.rfm_published_customers order by customer_id`;
  t.same(carried.map((r) => `${r.person_id}:${r.customer_id}`), ['1:alice', '2:bob', '3:carol']);

  // A new customer (aaron sorts first) and everything queued: the cache is rebuilt, nobody is renumbered.
  await sql`insert into raw.customers values ('z1', 'aaron', '01001', 'São Paulo', 'SP')`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('o8', 'z1', 'delivered', '2024-03-11 10:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('o8', 1, 40, 0)`;
  await sql`insert into salesdash_internal.rfm_customer_changes (customer_id) values (null)`;
  const rebuilt = await refreshRfm(sql);
  t.equal(rebuilt.steps[0]!.step, 'counted orders rebuilt');
  t.same(await people(), ['1:alice', '2:bob', '3:carol', '4:aaron']);
  const [aaron] = await sql`select standings[4] <> 0 as stood, cardinality(standings) as n from salesdash_internal.rfm_snapshots where reference_date = '2024-03-11'`;
  t.same({ ...aaron }, { stood: true, n: 4 }, 'the snapshot stands aaron at his person_id');

  // The rebuild records the exact customers per order (4 customers, 5 counted orders) for the planner.
  const [stat] = await sql`select attoptions from pg_attribute where attrelid = 'salesdash_internal.int_counted_orders_cache'::regclass and attname = 'customer_id'`;
  t.same(stat!.attoptions, ['n_distinct=-0.8']);

  // Updated one person at a time, too: a new customer queued alone gets the next id.
  await sql`insert into raw.customers values ('y1', 'abe', '01001', 'São Paulo', 'SP')`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('o9', 'y1', 'delivered', '2024-03-12 10:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('o9', 1, 40, 0)`;
  const updated = await refreshRfm(sql);
  t.equal(updated.steps[0]!.step, 'counted orders updated');
  t.same(await people(), ['1:alice', '2:bob', '3:carol', '4:aaron', '5:abe']);
});
