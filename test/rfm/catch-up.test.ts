// Changes to the raw tables after a refresh are caught up order by order (queued by triggers) instead of
// rebuilding the order facts. The figures must be exactly those of a full rebuild after every kind of change.
import t from 'tap';
import type { Sql } from '../../db/connection.ts';
import { testDatabase } from '../helpers/db.ts';
import { loadHandFixture } from './fixture.ts';
import { refreshRfm, type RefreshResult } from '../../jobs/rfm/refresh.ts';

/** Everything a refresh publishes except page-order tie breaks (person keys differ after a rebuild). */
async function published(sql: Sql) {
  const scores = await sql`select r::text as row from salesdash.rfm_scores r order by customer_id`;
  const monthly = await sql`select m::text as row from salesdash.monthly_activity m`;
  const histograms = await sql`select h::text as row from salesdash.rfm_histograms h`;
  const segments = await sql`select s::text as row from salesdash.segment_summary s`;
  const [status] = await sql`select customers, reference_date::text, first_purchase_date::text, last_purchase_date::text from salesdash.rfm_refresh_status`;
  return { scores: scores.map((r) => r.row), monthly: monthly.map((r) => r.row), histograms: histograms.map((r) => r.row),
           segments: segments.map((r) => r.row), status: { ...status } };
}

const stepsOf = (result: RefreshResult) => result.steps.map((s) => s.step);

t.test('every kind of raw change, caught up, gives the figures of a full rebuild', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  // 300 more people with 1-4 orders of 1-2 items each, over 2023-2024.
  await sql`insert into raw.customers (customer_id, customer_unique_id) select 'g' || g, 'person-' || (g % 300) from generate_series(1, 600) g`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            select 'go' || g || '-' || k, 'g' || g, 'delivered', timestamp '2023-01-01' + ((g * 53 + k * 17) % 430) * interval '1 day'
            from generate_series(1, 600) g cross join generate_series(1, 1 + g % 2) k`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value)
            select order_id, n, 10 + length(order_id) * n, 1.25 from raw.orders cross join generate_series(1, 2) n
            where order_id like 'go%' and (n = 1 or length(order_id) % 2 = 0)`;
  await refreshRfm(sql);

  const changes: [string, () => Promise<unknown>][] = [
    ['a new person buys (customer, order and items)', async () => {
      await sql`insert into raw.customers (customer_id, customer_unique_id) values ('n1', 'newcomer')`;
      await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('no1', 'n1', 'delivered', '2024-03-12 10:00')`;
      await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('no1', 1, 40, 4), ('no1', 2, 15, 0)`;
    }],
    ['a known person buys again later: in the month of their last purchase and in the next (moved by deltas)', async () => {
      await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values
                  ('later1', 'a2', 'delivered', '2024-03-20 10:00'), ('later2', 'a1', 'delivered', '2024-04-05 10:00'),
                  ('later3', 'a1', 'delivered', '2024-04-05 09:00')`;
      await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('later1', 1, 12, 0), ('later2', 1, 8, 1), ('later3', 1, 3, 0)`;
    }],
    ['a known person buys again on the day of their last purchase (counted again, not by deltas)', async () => {
      await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('same1', 'b1', 'delivered', '2024-02-01 08:00')`;
      await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('same1', 1, 9, 0)`;
    }],
    ['a known person buys under a new order-level id, in an earlier month', async () => {
      await sql`insert into raw.customers (customer_id, customer_unique_id) values ('a3', 'alice')`;
      await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('o8', 'a3', 'delivered', '2024-01-02 08:00')`;
      await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('o8', 1, 7, 1)`;
    }],
    ['an order arrives without items (not counted yet)', () =>
      sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('o9', 'c1', 'delivered', '2024-03-11 12:00')`],
    ['its items arrive later', () =>
      sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('o9', 1, 33, 3)`],
    ['a counted order is canceled', () => sql`update raw.orders set order_status = 'canceled' where order_id = 'o2'`],
    ['an item is removed from a two-item order', () => sql`delete from raw.order_items where order_id = 'o1' and order_item_id = 2`],
    ['prices change', () => sql`update raw.order_items set price = price * 2 where order_id in ('go5-1', 'go6-1', 'o4')`],
    ['an order-level id moves to another person', () => sql`update raw.customers set customer_unique_id = 'person-7' where customer_id = 'b1'`],
    ['an order is deleted', async () => {
      await sql`delete from raw.order_items where order_id = 'go10-1'`;
      await sql`delete from raw.orders where order_id = 'go10-1'`;
    }],
    ['a person loses every order', async () => {
      await sql`update raw.orders set order_status = 'unavailable' where customer_id = 'c1'`;
    }],
  ];

  for (const [what, change] of changes) {
    await change();
    const caughtUp = await refreshRfm(sql);
    t.same(stepsOf(caughtUp).slice(0, 2), ['catch up order facts', 'thresholds'], `${what}: caught up, cached totals updated in place`);
    const incremental = await published(sql);
    await sql`update salesdash_internal.order_facts_state set is_stale = true`;
    const rebuilt = await refreshRfm(sql);
    t.same(stepsOf(rebuilt).slice(0, 2), ['rebuild order facts', 'aggregate orders']);
    t.same(incremental, await published(sql), `${what}: same figures as a full rebuild`);
  }

  // Changes made while the totals are those of an as-of date: caught up, then the totals recomputed.
  await refreshRfm(sql, '2024-02-01');
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('o10', 'n1', 'delivered', '2024-01-20 09:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('o10', 1, 5, 0)`;
  t.same(stepsOf(await refreshRfm(sql, '2024-02-01')).slice(0, 2), ['catch up order facts', 'aggregate orders']);
  const asOf = await published(sql);
  await sql`update salesdash_internal.order_facts_state set is_stale = true`;
  await refreshRfm(sql, '2024-02-01');
  t.same(asOf, await published(sql), 'as-of figures after a catch-up equal those after a rebuild');
});

t.test('a rolled-back import queues nothing; a truncate marks the facts stale', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  await sql.begin(async (tx) => {
    await tx`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('x1', 'c1', 'delivered', '2024-03-11')`;
    await tx`select 1/0`;
  }).catch(() => undefined);
  const [queued] = await sql`select count(*)::int as n from salesdash_internal.order_facts_pending`;
  t.equal(queued!.n, 0);
  t.notOk(stepsOf(await refreshRfm(sql)).includes('catch up order facts'));
  await sql`truncate raw.order_items`;
  t.same(stepsOf(await refreshRfm(sql)).slice(0, 1), ['rebuild order facts']);
  const [left] = await sql`select count(*)::int as n from salesdash.rfm_scores`;
  t.equal(left!.n, 0, 'no items, no customers');
});

t.test('a bulk insert into a refreshed shop marks the facts stale instead of queueing every order', async (t) => {
  const { sql } = await testDatabase(t);
  await loadHandFixture(sql);
  await refreshRfm(sql);
  await sql`insert into raw.customers (customer_id, customer_unique_id) select 'bulk' || g, 'bulk-person-' || g from generate_series(1, 12000) g`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            select 'bulk-order-' || g, 'bulk' || g, 'delivered', timestamp '2024-03-01' + g * interval '1 minute' from generate_series(1, 12000) g`;
  const [state] = await sql`select is_stale, (select count(*)::int from salesdash_internal.order_facts_pending) as queued
                            from salesdash_internal.order_facts_state`;
  t.same({ ...state }, { is_stale: true, queued: 0 });
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) select order_id, 1, 10, 0 from raw.orders where order_id like 'bulk-order-%'`;
  const result = await refreshRfm(sql);
  t.same(stepsOf(result).slice(0, 1), ['rebuild order facts']);
  t.equal(result.customers, 12003, 'the fixture three and the 12,000 bulk people');
});
