// Refunds lower monetary (net, never below 0) and the revenue of their month, and count as neither a purchase
// nor recency; months without orders are rows of zeros. Exact figures on the hand fixture (fixture.ts):
// alice 17 (2024-01-10) + 110 (2024-03-01), bob 55 (2024-02-01, plus a canceled 999), carol 20 (2024-03-10).
import t from 'tap';
import { runSalesdash } from '../helpers/cli.ts';
import { testDatabase } from '../helpers/db.ts';
import { loadHandFixture } from './fixture.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';
import { segmentOverview } from '../../http/queries/segment-overview.ts';
import type { Sql } from '../../db/connection.ts';

const columns = 'customer_id, last_purchased_date::text, recency_days, frequency, monetary::float8, recency_score, frequency_score, monetary_score, segment';

const scores = async (sql: Sql) => (await sql.unsafe(`select ${columns} from salesdash.rfm_scores_current order by customer_id`)).map((r) => ({ ...r }));
const monthly = async (sql: Sql) =>
  (await sql`select month::text, orders, revenue, active_customers from salesdash.monthly_activity`).map((r) => ({ ...r }));

async function loadRefunds(sql: Sql): Promise<void> {
  await sql`
    insert into raw.refunds (refund_id, customer_id, refunded_at, amount) values
      ('r1', 'a2', '2024-03-02 12:00', 27),   -- alice, the day after her last purchase
      ('r2', 'b1', '2024-02-05 09:00', 40),   -- bob gets back more than he paid (70 of 55)
      ('r3', 'b1', '2024-02-20 09:00', 30),
      ('r4', 'c1', '2024-03-12 09:00', 5)     -- carol, after the reference date 2024-03-10`;
}

t.test('refunds lower net monetary (never below 0) and count as neither purchase nor recency', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await loadRefunds(sql);
  const result = await refreshRfm(sql);
  t.equal(result.reference_date, '2024-03-10', 'a refund does not move the reference date');
  t.equal(result.customers, 3);
  t.same(await scores(sql), [
    // 127 - 27; recency still from 2024-03-01, frequency 2
    { customer_id: 'alice', last_purchased_date: '2024-03-01', recency_days: 9, frequency: 2, monetary: 100,
      recency_score: 2, frequency_score: 4, monetary_score: 4, segment: 'At-Risk' },
    // 55 - 70 floored at 0
    { customer_id: 'bob', last_purchased_date: '2024-02-01', recency_days: 38, frequency: 1, monetary: 0,
      recency_score: 1, frequency_score: 1, monetary_score: 1, segment: 'Lost' },
    // the refund of 2024-03-12 lies after the reference date: not counted
    { customer_id: 'carol', last_purchased_date: '2024-03-10', recency_days: 0, frequency: 1, monetary: 20,
      recency_score: 4, frequency_score: 1, monetary_score: 2, segment: 'Promising' },
  ]);
  const [materialized] = await sql`select monetary::float8 as monetary from salesdash.rfm_scores where customer_id = 'bob'`;
  t.equal(materialized!.monetary, 0, 'rfm_scores agrees');
  const summary = await sql`select segment, customers, revenue, avg_monetary from salesdash.segment_summary where customers > 0 order by display_order`;
  t.same(summary.map((r) => ({ ...r })), [
    { segment: 'Promising', customers: 1, revenue: 20, avg_monetary: 20 },
    { segment: 'At-Risk', customers: 1, revenue: 100, avg_monetary: 100 },
    { segment: 'Lost', customers: 1, revenue: 0, avg_monetary: 0 },
  ], 'segment revenue is net');
  t.same(await monthly(sql), [
    { month: '2024-01-01', orders: 1, revenue: 17, active_customers: 1 },
    { month: '2024-02-01', orders: 1, revenue: -15, active_customers: 1 }, // 55 - 40 - 30
    { month: '2024-03-01', orders: 2, revenue: 103, active_customers: 2 }, // 110 + 20 - 27
  ], 'a refund lowers the revenue of the month it is dated in');
  const [page] = await sql`select monetary from api.rfm_page(null, 'monetary', false, 1, 1)`;
  t.equal(page!.monetary, 0, 'pages sort by net monetary');
  const [profile] = await sql`select monetary::float8 as monetary from salesdash.rfm_list where customer_id = 'alice'`;
  t.equal(profile!.monetary, 100);

  // As of a later date carol's refund counts; as of an earlier one, alice's and bob's second do not.
  await refreshRfm(sql, '2024-03-31');
  t.same((await scores(sql)).map((r) => [r.customer_id, r.recency_days, r.frequency, r.monetary]), [
    ['alice', 30, 2, 100], ['bob', 59, 1, 0], ['carol', 21, 1, 15],
  ]);
  t.same((await monthly(sql)).map((m) => m.revenue), [17, -15, 98]);
  await refreshRfm(sql, '2024-02-10');
  t.same((await scores(sql)).map((r) => [r.customer_id, r.recency_days, r.frequency, r.monetary]), [
    ['alice', 31, 1, 17], ['bob', 9, 1, 15],
  ]);
  t.same(await monthly(sql), [
    { month: '2024-01-01', orders: 1, revenue: 17, active_customers: 1 },
    { month: '2024-02-01', orders: 1, revenue: 15, active_customers: 1 },
  ]);
});

t.test('salesdash refresh says which refunds it left out for being dated after the reference date', async (t) => {
  const { sql, url } = await testDatabase(t);
  await loadHandFixture(sql);
  await loadRefunds(sql);
  const result = await runSalesdash({ ...process.env, DATABASE_URL: url }, 'refresh');
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /\nrefreshed RFM for 3 customers as of 2024-03-10 in [\d.]+ s\n1 refund \(5\.00\) dated after 2024-03-10 not counted, as purchases after it are not \(refresh --as-of a later date counts them\)\n$/);
  const asOf = await runSalesdash({ ...process.env, DATABASE_URL: url }, 'refresh', '--as-of', '2024-03-12');
  t.notMatch(asOf.stdout, /not counted/, 'as of the refund\'s day it counts');
  t.notMatch(asOf.stdout, /cut points/, 'no cut points, no word of them');
  // Cut points outlive imports, so a refresh says when they score instead of the data's quintiles.
  await sql`insert into salesdash.rfm_score_bounds (metric, score, bound) values ('monetary', 5, 100), ('recency_days', 5, 7)`;
  const bounded = await runSalesdash({ ...process.env, DATABASE_URL: url }, 'refresh');
  t.match(bounded.stdout, /\nscored by the analyst's cut points, not quintiles: monetary, recency_days \(salesdash\.rfm_score_bounds\)\n/);
});

t.test('refunds given after a refresh reach the caches through the queue', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  const step = (result: { steps: { step: string }[] }) => result.steps[0]!.step;

  await sql`insert into raw.refunds (refund_id, customer_id, refunded_at, amount) values ('r1', 'a1', '2024-03-02', 27)`;
  const [queued] = await sql`select array_agg(distinct customer_id) as people from salesdash_internal.rfm_customer_changes`;
  t.same(queued!.people, ['alice'], 'the refund queues its person');
  t.equal(step(await refreshRfm(sql)), 'counted orders updated');
  const [alice] = await sql`select frequency, monetary::float8 as monetary, recency_days from salesdash.rfm_scores_current where customer_id = 'alice'`;
  t.same({ ...alice }, { frequency: 2, monetary: 100, recency_days: 9 });
  const [cached] = await sql`select monetary::float8 as monetary from salesdash_internal.int_customer_totals_cache where customer_id = 'alice'`;
  t.equal(cached!.monetary, 100, 'the totals cache holds net monetary');

  // A refund larger than everything, then taken back.
  await sql`update raw.refunds set amount = 1000 where refund_id = 'r1'`;
  await refreshRfm(sql);
  t.equal((await sql`select monetary::float8 as m from salesdash.rfm_scores_current where customer_id = 'alice'`)[0]!.m, 0);
  await sql`delete from raw.refunds`;
  await refreshRfm(sql);
  t.equal((await sql`select monetary::float8 as m from salesdash.rfm_scores_current where customer_id = 'alice'`)[0]!.m, 127);

  // A crash empties both unlogged caches; the next refresh rebuilds them, refunds included.
  await sql`insert into raw.refunds (refund_id, customer_id, refunded_at, amount) values ('r2', 'b1', '2024-02-02', 5)`;
  await refreshRfm(sql);
  await sql`truncate salesdash_internal.int_counted_orders_cache, salesdash_internal.int_refunds_cache`;
  t.equal(step(await refreshRfm(sql)), 'counted orders rebuilt');
  t.equal((await sql`select monetary::float8 as m from salesdash.rfm_scores_current where customer_id = 'bob'`)[0]!.m, 50);
});

t.test('months without orders are zero in monthly_activity and the API', async (t) => {
  const { sql } = await testDatabase(t);
  await sql`insert into raw.customers (customer_id, customer_unique_id) values ('x1', 'xavier'), ('y1', 'yara')`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values
              ('x-1', 'x1', 'delivered', '2024-01-15 10:00'), ('y-1', 'y1', 'delivered', '2024-01-20 10:00'),
              ('x-2', 'x1', 'delivered', '2024-05-02 10:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values
              ('x-1', 1, 10, 0), ('y-1', 1, 4, 1), ('x-2', 1, 20, 2.5)`;
  // A refund in March: a month with money going back but no order.
  await sql`insert into raw.refunds (refund_id, customer_id, refunded_at, amount) values ('y-r', 'y1', '2024-03-03', 5)`;
  await refreshRfm(sql);
  t.same(await monthly(sql), [
    { month: '2024-01-01', orders: 2, revenue: 15, active_customers: 2 },
    { month: '2024-02-01', orders: 0, revenue: 0, active_customers: 0 },
    { month: '2024-03-01', orders: 0, revenue: -5, active_customers: 0 },
    { month: '2024-04-01', orders: 0, revenue: 0, active_customers: 0 },
    { month: '2024-05-01', orders: 1, revenue: 22.5, active_customers: 1 },
  ]);
  const overview = await segmentOverview(sql);
  t.same(overview.monthly, {
    month: ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01', '2024-05-01'],
    revenue: [15, 0, -5, 0, 22.5],
    orders: [2, 0, 0, 0, 1],
    active_customers: [2, 0, 0, 0, 1],
  }, 'the API serves every month, zeros included');

  // Across a year boundary; an as-of date adds no months after the last with activity.
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('x-0', 'x1', 'delivered', '2023-11-30 23:59')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('x-0', 1, 1, 0)`;
  await refreshRfm(sql, '2024-02-29');
  t.same((await monthly(sql)).map((m) => [m.month, m.orders]), [['2023-11-01', 1], ['2023-12-01', 0], ['2024-01-01', 2]]);
  await sql`truncate raw.refunds, raw.order_items, raw.orders, raw.customers`;
  await refreshRfm(sql);
  t.same(await monthly(sql), [], 'no orders, no months');
});
