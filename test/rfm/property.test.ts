// Property: whatever the shop and whatever happened to it since the last refresh (new orders, late orders
// dated in the past, cancellations, items removed, refunds given and taken back, rules and cut points edited,
// as-of dates), every refresh
// publishes exactly what the plain reference query (reference.ts) computes from the raw tables. This is what
// keeps the cache of counted orders and its queue of changed customers honest.
import t from 'tap';
import fc from 'fast-check';
import { testDatabase } from '../helpers/db.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';
import { referenceScores } from './reference.ts';
import type { Sql } from '../../db/connection.ts';
import type { SortKey } from '../../http/plugins/errors.ts';
import { pageOrders, rfmPageFrom } from '../../http/queries/rfm-page.ts';

interface Order {
  person: number;
  /** Which of the person's Olist order-level ids placed it. */
  idSuffix: number;
  day: number;
  status: string;
  /** Item prices in cents (few distinct values, so every metric has ties). */
  items: number[];
}

const order: fc.Arbitrary<Order> = fc.record({
  person: fc.integer({ min: 1, max: 14 }),
  idSuffix: fc.integer({ min: 1, max: 2 }),
  day: fc.integer({ min: 0, max: 420 }),
  status: fc.constantFrom('delivered', 'delivered', 'delivered', 'shipped', 'canceled', 'unavailable'),
  items: fc.array(fc.constantFrom(500, 1000, 1999, 2500, 12345), { minLength: 0, maxLength: 3 }),
});

interface Refund {
  person: number;
  idSuffix: number;
  day: number;
  /** Cents given back; the largest exceeds most people's purchases (monetary then 0). */
  cents: number;
}

const refund: fc.Arbitrary<Refund> = fc.record({
  person: fc.integer({ min: 1, max: 14 }),
  idSuffix: fc.integer({ min: 1, max: 2 }),
  day: fc.integer({ min: 0, max: 440 }),
  cents: fc.constantFrom(500, 1000, 2500, 50000),
});

type Action =
  | { kind: 'refresh'; asOfDay: number | null }
  | { kind: 'add'; orders: Order[] }
  | { kind: 'refund'; refunds: Refund[] }
  | { kind: 'removeRefund'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'removeItem'; pick: number }
  | { kind: 'renameSegment'; pick: number }
  | { kind: 'swapSegments'; a: number; b: number }
  | { kind: 'bounds'; metric: 'recency_days' | 'frequency' | 'monetary'; bounds: [number, number][] }
  | { kind: 'clearBounds' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('refresh' as const), asOfDay: fc.option(fc.integer({ min: 0, max: 440 }), { nil: null }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), orders: fc.array(order, { minLength: 1, maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), refunds: fc.array(refund, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeRefund' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeItem' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameSegment' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swapSegments' as const), a: fc.nat(), b: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('bounds' as const),
      metric: fc.constantFrom('recency_days' as const, 'frequency' as const, 'monetary' as const),
      bounds: fc.array(fc.tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 300 })), { maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'clearBounds' as const }) },
);

const day = (n: number) => new Date(Date.UTC(2023, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
let orderCounter = 0;

async function addOrders(sql: Sql, orders: Order[]): Promise<void> {
  for (const o of orders) {
    const person = `p${String(o.person).padStart(2, '0')}`;
    const orderCustomerId = `${person}-${o.idSuffix}`;
    const orderId = `o${++orderCounter}`;
    await sql`insert into raw.customers (customer_id, customer_unique_id) values (${orderCustomerId}, ${person}) on conflict do nothing`;
    await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
              values (${orderId}, ${orderCustomerId}, ${o.status}, ${day(o.day)}::timestamp + (${o.person} || ' hours')::interval)`;
    for (const [i, cents] of o.items.entries()) {
      await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values (${orderId}, ${i + 1}, ${cents / 100}, ${i === 0 ? 1.5 : 0})`;
    }
  }
}

let refundCounter = 0;

async function addRefunds(sql: Sql, refunds: Refund[]): Promise<void> {
  for (const r of refunds) {
    const person = `p${String(r.person).padStart(2, '0')}`;
    const orderCustomerId = `${person}-${r.idSuffix}`;
    await sql`insert into raw.customers (customer_id, customer_unique_id) values (${orderCustomerId}, ${person}) on conflict do nothing`;
    await sql`insert into raw.refunds (refund_id, customer_id, refunded_at, amount)
              values (${`r${++refundCounter}`}, ${orderCustomerId}, ${day(r.day)}::timestamp + (${r.person} || ' hours')::interval, ${r.cents / 100})`;
  }
}

async function perform(sql: Sql, a: Action): Promise<void> {
  switch (a.kind) {
    case 'add':
      return addOrders(sql, a.orders);
    case 'refund':
      return addRefunds(sql, a.refunds);
    case 'removeRefund':
      await sql`delete from raw.refunds
                where refund_id = (select refund_id from raw.refunds order by refund_id offset ${a.pick} % greatest((select count(*) from raw.refunds), 1) limit 1)`;
      return;
    case 'cancel':
      await sql`update raw.orders set order_status = 'canceled'
                where order_id = (select order_id from raw.orders order by order_id offset ${a.pick} % greatest((select count(*) from raw.orders), 1) limit 1)`;
      return;
    case 'removeItem':
      await sql`delete from raw.order_items
                where (order_id, order_item_id) = (select order_id, order_item_id from raw.order_items order by 1, 2
                                                   offset ${a.pick} % greatest((select count(*) from raw.order_items), 1) limit 1)`;
      return;
    case 'renameSegment':
      await sql`update salesdash.rfm_segment_rules set segment = segment || ' (renamed)'
                where segment = (select segment from salesdash.rfm_segment_rules order by display_order offset ${a.pick} % 11 limit 1)`;
      return;
    case 'swapSegments':
      // Two rules trade their R x F ranges: the grid stays covered, customers move between segments.
      await sql.begin(async (tx) => {
        const rules = await tx`select segment, r_min, r_max, f_min, f_max from salesdash.rfm_segment_rules order by display_order`;
        const x = rules[a.a % rules.length]!;
        const y = rules[a.b % rules.length]!;
        await tx`update salesdash.rfm_segment_rules set r_min = ${y.r_min}, r_max = ${y.r_max}, f_min = ${y.f_min}, f_max = ${y.f_max} where segment = ${x.segment}`;
        await tx`update salesdash.rfm_segment_rules set r_min = ${x.r_min}, r_max = ${x.r_max}, f_min = ${x.f_min}, f_max = ${x.f_max} where segment = ${y.segment}`;
      });
      return;
    case 'bounds':
      await sql.begin(async (tx) => {
        await tx`delete from salesdash.rfm_score_bounds where metric = ${a.metric}`;
        for (const [score, bound] of new Map(a.bounds)) {
          const value = a.metric === 'monetary' ? bound + 0.005 : a.metric === 'frequency' ? bound / 60 : bound / 2;
          await tx`insert into salesdash.rfm_score_bounds (metric, score, bound) values (${a.metric}, ${score}, ${value})`;
        }
      });
      return;
    case 'clearBounds':
      await sql`delete from salesdash.rfm_score_bounds`;
      return;
    case 'refresh':
      return;
  }
}

/**
 * Counted orders, net revenue (less the refunds dated in the month) and customers per calendar month up to the
 * reference date, every month from the first to the last with an order or a refund, straight from raw.
 */
function referenceMonthly(sql: Sql, asOf: string | null) {
  return sql`
    with counted as (
      select c.customer_unique_id as customer_id, o.order_id, o.order_purchase_timestamp as ordered_at, sum(i.price + i.freight_value) as amount
      from raw.orders o join raw.customers c on c.customer_id = o.customer_id join raw.order_items i on i.order_id = o.order_id
      where o.order_status not in ('canceled', 'unavailable') and (${asOf}::date is null or o.order_purchase_timestamp < ${asOf}::date + 1)
      group by 1, 2, 3
    ),
    reference as (select coalesce(${asOf}::date, max(ordered_at)::date) as day from counted),
    refunds as (select refunded_at, amount from raw.refunds where refunded_at::date <= (select day from reference)),
    bounds as (
      select min(m) as first_month, max(m) as last_month
      from (select date_trunc('month', ordered_at) as m from counted union all select date_trunc('month', refunded_at) from refunds) a
    ),
    months as (select generate_series(first_month, last_month, interval '1 month') as m from bounds)
    select m::date::text as month,
           (select count(*) from counted where date_trunc('month', ordered_at) = m)::int as orders,
           (coalesce((select sum(amount) from counted where date_trunc('month', ordered_at) = m), 0)
            - coalesce((select sum(amount) from refunds where date_trunc('month', refunded_at) = m), 0))::numeric(16, 2)::text as revenue,
           (select count(distinct customer_id) from counted where date_trunc('month', ordered_at) = m)::int as active_customers
    from months order by m`;
}

const sortColumns = { recency: 'recency_days', frequency: 'frequency', monetary: 'monetary', rfm_score: 'overall_rfm_score' } as const;

/**
 * Every page list (4 sorts, overall and per segment, both directions) equals a plain ORDER BY of the published
 * rows, paged as the API pages it (lists from api.rfm_page_orders, pages cut by rfmPageFrom) and by api.rfm_page.
 */
async function checkPages(sql: Sql): Promise<void> {
  const segments = [null, ...(await sql`select distinct segment from salesdash.rfm_scores_current`).map((r) => r.segment as string)];
  for (const [sortBy, column] of Object.entries(sortColumns)) {
    const orders = await pageOrders(sql, sortBy as SortKey);
    for (const segment of segments) {
      for (const descending of [false, true]) {
        const direction = descending ? 'desc' : 'asc';
        const expected = (await sql.unsafe(
          `select customer_id from salesdash.rfm_scores_current where $1::text is null or segment = $1
           order by ${column} ${direction}, customer_id collate "C" ${direction}`, [segment])).map((r) => r.customer_id);
        const paged: string[] = [];
        for (let page = 1; ; page++) {
          const rows = await sql`select customer_id from api.rfm_page(${segment}, ${sortBy}, ${descending}, ${page}, 7)`;
          paged.push(...rows.map((r) => r.customer_id as string));
          if (rows.length < 7) break;
        }
        const served: string[] = [];
        for (let page = 1; ; page++) {
          const { data } = await rfmPageFrom(sql, orders, { segment, sortBy: sortBy as SortKey, descending, page, limit: 7 });
          served.push(...data.map((r) => r.customer_id));
          if (data.length < 7) break;
        }
        for (const [how, got] of [['api.rfm_page', paged], ['the API', served]] as const) {
          if (JSON.stringify(got) !== JSON.stringify(expected)) {
            throw new Error(`pages of ${sortBy} ${direction} ${segment ?? 'all'} (${how}) differ from ORDER BY:\n${got}\n${expected}`);
          }
        }
      }
    }
  }
}

const columns = `customer_id, last_purchased_date::text, recency_days, frequency, monetary::text, recency_score, frequency_score,
                 monetary_score, segment, calculated_date::text`;

t.test('every refresh publishes what the reference query computes, whatever changed since the last one', async (t) => {
  const { sql } = await testDatabase(t);
  const defaultRules = await sql`select * from salesdash.rfm_segment_rules`;
  let checks = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(order, { minLength: 0, maxLength: 25 }), fc.array(action, { minLength: 1, maxLength: 8 }), async (shop, actions) => {
      // A clean shop for every run (a TRUNCATE asks the next refresh to rebuild everything).
      await sql`truncate raw.refunds, raw.order_items, raw.orders, raw.customers`;
      await sql`delete from salesdash.rfm_score_bounds`;
      await sql.begin(async (tx) => {
        await tx`delete from salesdash.rfm_segment_rules`;
        await tx`insert into salesdash.rfm_segment_rules ${tx(defaultRules.map((r) => ({ ...r })))}`;
      });
      await addOrders(sql, shop);
      await refreshRfm(sql);
      for (const a of [...actions, { kind: 'refresh', asOfDay: null } as Action]) {
        await perform(sql, a);
        if (a.kind !== 'refresh') continue;
        const asOf = a.asOfDay === null ? null : day(a.asOfDay);
        const expected = (await referenceScores(sql, asOf)).map((r) => ({ ...r }));
        const publishedNow = async () => (await sql.unsafe(`select ${columns} from salesdash.rfm_scores order by customer_id collate "C"`)).map((r) => ({ ...r }));
        // An as-of date before every purchase of a shop that has some is refused, and the published refresh stays.
        if (asOf !== null && expected.length === 0 && (await referenceScores(sql, null)).length > 0) {
          const before = await publishedNow();
          const refused = await refreshRfm(sql, asOf).then(() => null, (error: { code?: string }) => error);
          if (refused?.code !== '22023') throw new Error(`refresh as of ${asOf}, before every purchase, was not refused: ${String(refused)}`);
          if (JSON.stringify(await publishedNow()) !== JSON.stringify(before)) throw new Error(`a refused refresh as of ${asOf} changed rfm_scores`);
          checks++;
          continue;
        }
        await refreshRfm(sql, asOf ?? undefined);
        const published = await publishedNow();
        const current = (await sql.unsafe(`select ${columns} from salesdash.rfm_scores_current order by customer_id collate "C"`)).map((r) => ({ ...r }));
        const [summary] = await sql`select coalesce(sum(customers), 0)::int as customers from salesdash.segment_summary`;
        checks++;
        if (JSON.stringify(published) !== JSON.stringify(expected)) {
          throw new Error(`rfm_scores differs from the reference as of ${asOf ?? 'the latest purchase'}:\n${JSON.stringify(published)}\n${JSON.stringify(expected)}`);
        }
        if (JSON.stringify(current) !== JSON.stringify(expected)) throw new Error('rfm_scores_current differs from the reference');
        if (summary!.customers !== expected.length) throw new Error(`segment_summary counts ${summary!.customers}, reference ${expected.length}`);
        const monthly = await sql`select month::text, orders, revenue::numeric(16, 2)::text as revenue, active_customers from salesdash.monthly_activity`;
        const expectedMonthly = await referenceMonthly(sql, asOf);
        if (JSON.stringify(monthly.map((r) => ({ ...r }))) !== JSON.stringify(expectedMonthly.map((r) => ({ ...r })))) {
          throw new Error(`monthly_activity differs from the reference:\n${JSON.stringify(monthly)}\n${JSON.stringify(expectedMonthly)}`);
        }
        await checkPages(sql);
      }
    }),
    { numRuns: Number(process.env.RFM_PROPERTY_RUNS ?? 40) },
  );
  t.ok(checks > 40, `${checks} refreshes compared with the reference`);
});
