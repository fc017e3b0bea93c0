// A refresh after a few changed orders updates just the changed rows of the published list ("patch")
// instead of rewriting it; everything else rewrites the other buffer. Either way the published figures must
// be exactly those of a full rewrite from rebuilt order facts.
import t from 'tap';
import type { Sql } from '../../db/connection.ts';
import { testDatabase } from '../helpers/db.ts';
import { refreshRfm, type RefreshResult } from '../../jobs/rfm/refresh.ts';
import { checkPageOrders } from './page-orders.ts';

const stepsOf = (result: RefreshResult) => result.steps.map((s) => s.step);
const stepRows = (result: RefreshResult, step: string) => result.steps.find((s) => s.step === step)?.rows;

/** 600 people with 1-6 orders each over 2023 (many ties in every score), refreshed once. */
async function refreshedShop(sql: Sql): Promise<void> {
  await sql`insert into raw.customers (customer_id, customer_unique_id) select 'c' || g, 'p' || lpad(g::text, 4, '0') from generate_series(1, 600) g`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            select 'o' || g || '-' || k, 'c' || g, 'delivered', timestamp '2023-01-01' + ((g * 37 + k * 11) % 300) * interval '1 day'
            from generate_series(1, 600) g cross join generate_series(1, 1 + g % 6) k`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value)
            select order_id, 1, (length(order_id) * 10) % 70 + 5, 1 from raw.orders`;
  await refreshRfm(sql);
}

/** Everything a refresh publishes, row by row. */
async function published(sql: Sql) {
  const rows = async (query: Promise<{ row: string }[]>) => (await query).map((r) => r.row);
  return {
    scores: await rows(sql`select r::text as row from salesdash.rfm_scores r order by customer_id`),
    current: await rows(sql`select r::text as row from salesdash.rfm_scores_current r order by customer_id`),
    list: await rows(sql`select r::text as row from salesdash.rfm_list r order by customer_id`),
    segments: await rows(sql`select s::text as row from salesdash.segment_summary s`),
    histograms: await rows(sql`select h::text as row from salesdash.rfm_histograms h`),
    monthly: await rows(sql`select m::text as row from salesdash.monthly_activity m`),
    status: await rows(sql`select concat_ws(',', customers, reference_date, first_purchase_date, last_purchase_date) as row from salesdash.rfm_refresh_status`),
  };
}

/** The figures of a full rewrite from rebuilt order facts, for comparison; leaves the shop rewritten. */
async function rewritten(sql: Sql) {
  await sql`update salesdash_internal.order_facts_state set is_stale = true`;
  const result = await refreshRfm(sql);
  return { result, figures: await published(sql) };
}

const mvFile = async (sql: Sql) => (await sql`select pg_relation_filenode('salesdash.rfm_scores')::text as f`)[0]!.f as string;

t.test('unchanged orders: nothing to patch, the page orders and rfm_scores are left as they are', async (t) => {
  const { sql } = await testDatabase(t);
  await refreshedShop(sql);
  const before = await published(sql);
  const file = await mvFile(sql);
  const again = await refreshRfm(sql);
  t.equal(again.patched, true);
  t.same(stepsOf(again), ['thresholds', 'patch changed customers', 'summaries', 'publish']);
  t.equal(stepRows(again, 'patch changed customers'), 0);
  t.equal(await mvFile(sql), file, 'rfm_scores was not refreshed (same file): its rows are already these');
  t.same(await published(sql), before, 'same figures');
});

t.test("a day's orders are patched in, with exactly the figures and page orders of a full rewrite", async (t) => {
  const { sql } = await testDatabase(t);
  await refreshedShop(sql);
  // Three known people buy again on a later day (one twice), one of them under a new order-level id; a new
  // person buys (id sorting after everyone, so person-key and customer_id tie orders agree).
  await sql`insert into raw.customers (customer_id, customer_unique_id) values ('c7b', 'p0007'), ('n1', 'zz-newcomer')`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values
              ('d1', 'c5', 'delivered', '2023-11-01 10:00'), ('d2', 'c5', 'delivered', '2023-11-01 18:00'),
              ('d3', 'c7b', 'delivered', '2023-11-01 11:00'), ('d4', 'c300', 'delivered', '2023-11-01 12:00'),
              ('d5', 'n1', 'delivered', '2023-11-01 13:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value)
            select order_id, 1, 44, 2 from raw.orders where order_id like 'd_'`;
  const day = await refreshRfm(sql);
  t.equal(day.patched, true, 'patched');
  t.same(stepsOf(day), ['catch up order facts', 'thresholds', 'patch changed customers', 'page orders', 'summaries', 'publish']);
  const changed = stepRows(day, 'patch changed customers')!;
  t.ok(changed >= 4 && changed < 60, `the four buyers and the people whose score moved with the cuts changed (${changed})`);
  const [newcomer] = await sql`select frequency, recency_days, monetary::float8 as monetary from salesdash.rfm_scores where customer_id = 'zz-newcomer'`;
  t.same({ ...newcomer }, { frequency: 1, recency_days: 0, monetary: 46 });
  await checkPageOrders(t, sql, 'patched: ');
  const patchedFigures = await published(sql);
  const full = await rewritten(sql);
  t.equal(full.result.patched, false);
  t.same(patchedFigures, full.figures, 'every published figure equals the full rewrite');
});

t.test('removed and back-dated orders are patched in too', async (t) => {
  const { sql } = await testDatabase(t);
  await refreshedShop(sql);
  await sql`update raw.orders set order_status = 'canceled' where order_id in ('o10-1', 'o11-2')`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values ('old1', 'c12', 'delivered', '2023-02-03 10:00')`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value) values ('old1', 1, 90, 0)`;
  await sql`delete from raw.order_items where order_id = 'o13-1'`;
  const result = await refreshRfm(sql);
  t.equal(result.patched, true);
  await checkPageOrders(t, sql, 'patched: ');
  const patchedFigures = await published(sql);
  t.same(patchedFigures, (await rewritten(sql)).figures, 'every published figure equals the full rewrite');
});

t.test('an as-of date a few days back: the totals move there by the orders in between, and the rows are patched', async (t) => {
  const { sql } = await testDatabase(t);
  // 3,000 people buying 1-3 times over 900 days, a few each day, so a few days hold few of them.
  await sql`insert into raw.customers (customer_id, customer_unique_id) select 'c' || g, 'p' || lpad(g::text, 5, '0') from generate_series(1, 3000) g`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            select 'o' || g || '-' || k, 'c' || g, 'delivered', timestamp '2021-01-01' + ((g * 7 + k * 301) % 900) * interval '1 day' + g * interval '1 second'
            from generate_series(1, 3000) g cross join generate_series(1, 1 + g % 3) k`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value)
            select order_id, 1, (hashtext(order_id) & 1023) * 0.25 + 3, 0 from raw.orders`;
  await refreshRfm(sql);
  const [{ latest }] = await sql`select max(last_purchase_date)::text as latest from salesdash.rfm_refresh_status`;
  const daysBack = async (days: number) => (await sql`select (${latest}::date - ${days}::int)::text as d`)[0]!.d as string;
  const fullAt = async (asOf?: string) => {
    await sql`update salesdash_internal.order_facts_state set is_stale = true`;
    await refreshRfm(sql, asOf);
    return published(sql);
  };
  for (const [label, asOf] of [['two days back', await daysBack(2)], ['three days back', await daysBack(3)], ['back to the latest purchase', undefined]] as const) {
    const result = await refreshRfm(sql, asOf);
    t.ok(stepsOf(result).includes('move totals to the as-of date'), `${label}: totals moved, not recomputed`);
    t.equal(result.patched, true, `${label}: patched`);
    await checkPageOrders(t, sql, `${label}: `);
    const moved = await published(sql);
    t.same(moved, await fullAt(asOf), `${label}: every published figure equals a full recomputation`);
    await refreshRfm(sql, asOf);
  }
  // Far back, most people bought in between: recomputed from the facts, and every row written.
  const far = await refreshRfm(sql, '2022-01-01');
  t.ok(stepsOf(far).includes('aggregate orders'), 'far back: totals recomputed');
  t.equal(far.patched, false);
  t.same(await published(sql), await fullAt('2022-01-01'), 'far back: the figures of a full recomputation');
});

t.test('what a patch cannot express rewrites the other buffer instead', async (t) => {
  const { sql } = await testDatabase(t);
  await refreshedShop(sql);
  const cases: [string, () => Promise<unknown>, () => Promise<void>][] = [
    ['a renamed segment', () => sql`update salesdash.rfm_segment_rules set segment = 'Best' where segment = 'Champions'`, async () => {
      const [row] = await sql`select count(*)::int as n from salesdash.rfm_scores where segment = 'Best'`;
      t.ok(row!.n > 0, 'rfm_scores shows the new name');
    }],
    ['analyst cut points that move most scores', () => sql`insert into salesdash.rfm_score_bounds (metric, score, bound) values ('frequency', 2, 1), ('frequency', 3, 1), ('frequency', 4, 1), ('frequency', 5, 1)`, async () => {
      const [row] = await sql`select count(*)::int as n from salesdash.rfm_scores where frequency_score <> 5`;
      t.equal(row!.n, 0, 'every frequency score follows the cut points');
    }],
    ['rebuilt order facts (person keys renumbered)', () => sql`update salesdash_internal.order_facts_state set is_stale = true`, async () => {}],
    ['cached totals lost (as after a crash: they are unlogged)', () => sql`truncate salesdash_internal.person_totals_state`, async () => {}],
  ];
  for (const [what, change, check] of cases) {
    t.equal((await refreshRfm(sql)).patched, true, `before ${what}: a refresh would patch`);
    await change();
    const result = await refreshRfm(sql);
    t.equal(result.patched, false, `${what}: rewritten`);
    t.ok(stepsOf(result).includes('score customers'), `${what}: every row scored`);
    await check();
    t.same(await published(sql), (await rewritten(sql)).figures, `${what}: the figures of a full rewrite`);
  }
  // Another as-of date recomputes the totals (a new generation): rewritten, and so is the way back.
  t.equal((await refreshRfm(sql, '2023-09-01')).patched, false, 'another as-of date: rewritten');
  t.equal((await refreshRfm(sql)).patched, false, 'back to the latest purchase: rewritten');
  t.equal((await refreshRfm(sql)).patched, true, 'and the next refresh patches again');
});
