// After a catch-up, the cached totals' state row (histograms, monetary order statistics and buckets, first
// purchase date) is moved by the catch-up's changes instead of recomputed over every person. It must be
// exactly the row a computation from scratch gives, whichever way the changes push the ranks.
import t from 'tap';
import type { Sql } from '../../db/connection.ts';
import { testDatabase } from '../helpers/db.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';

const stateColumns = (sql: Sql) => sql`
  select customers, first_purchase_date::text, last_purchase_date::text, last_purchase_dates::text,
         last_purchase_counts::text, frequencies::text, frequency_counts::text, monetary_quintile_cuts::text,
         monetary_p99_cents, monetary_counts_below::text, monetary_histogram::text
  from salesdash_internal.person_totals_state`;

/** The state row as the catch-up left it, and as store_person_totals_state() computes it from scratch. */
async function movedAndFromScratch(sql: Sql) {
  const [moved] = await stateColumns(sql);
  let scratch: unknown;
  // computed in a transaction that is rolled back, so the catch-up's own row stays for the next round
  const rolledBack = new Error('rolled back on purpose');
  await sql.begin(async (tx) => {
    await tx`select salesdash_internal.store_person_totals_state(s.as_of, s.facts_version) from salesdash_internal.person_totals_state s`;
    [scratch] = await stateColumns(tx as unknown as Sql);
    throw rolledBack;
  }).catch((error: unknown) => {
    if (error !== rolledBack) throw error;
  });
  return { moved: { ...moved }, scratch: { ...(scratch as object) } };
}

t.test('the state row moved by a catch-up equals the state row computed from scratch', async (t) => {
  const { sql } = await testDatabase(t);
  // 2,000 people with 1-3 orders of spread-out amounts (some equal), in 2023.
  await sql`insert into raw.customers (customer_id, customer_unique_id) select 'c' || g, 'p' || lpad(g::text, 5, '0') from generate_series(1, 2000) g`;
  await sql`insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
            select 'o' || g || '-' || k, 'c' || g, 'delivered', timestamp '2023-01-01' + ((g * 13 + k * 101) % 330) * interval '1 day'
            from generate_series(1, 2000) g cross join generate_series(1, 1 + g % 3) k`;
  await sql`insert into raw.order_items (order_id, order_item_id, price, freight_value)
            select order_id, 1, ((hashtext(order_id) & 65535) % 400) + 0.5 * (length(order_id) % 3), 0 from raw.orders`;
  await refreshRfm(sql);

  const rounds: [string, (round: number) => Promise<unknown>][] = [
    ['many people gain a large later order (ranks move up past the cuts)', (r) => sql`
      insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
      select 'big' || ${r} || '-' || g, 'c' || g, 'delivered', timestamp '2024-01-01' + ${r} * interval '1 day'
      from generate_series(1, 2000) g where g % 7 = ${r} % 7`.then(() => sql`
      insert into raw.order_items (order_id, order_item_id, price, freight_value)
      select order_id, 1, 2500, 0 from raw.orders where order_id like ${'big' + r + '-%'}`)],
    ['many newcomers with small orders (everyone else moves up in rank)', (r) => sql`
      insert into raw.customers (customer_id, customer_unique_id) select 'n' || ${r} || '-' || g, 'new' || ${r} || '-' || g from generate_series(1, 150) g`.then(() => sql`
      insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
      select 'no' || ${r} || '-' || g, 'n' || ${r} || '-' || g, 'delivered', timestamp '2024-02-01' + ${r} * interval '1 day' from generate_series(1, 150) g`).then(() => sql`
      insert into raw.order_items (order_id, order_item_id, price, freight_value)
      select order_id, 1, 1 + (length(order_id) % 4), 0 from raw.orders where order_id like ${'no' + r + '-%'}`)],
    ['orders canceled (ranks move down, and some people lose every order)', (r) => sql`
      update raw.orders set order_status = 'canceled' where order_id in (select 'o' || g || '-1' from generate_series(1, 2000) g where g % 11 = ${r} % 11)`],
    ['the earliest buyer loses the first order; prices change', (r) => sql`
      update raw.orders set order_status = 'unavailable'
      where order_id = (select o.order_id from raw.orders o where o.order_status = 'delivered' order by o.order_purchase_timestamp, o.order_id limit 1)`.then(() => sql`
      update raw.order_items set price = price * 3 where order_id in (select 'o' || g || '-2' from generate_series(1, 2000) g where g % 13 = ${r} % 13)`)],
  ];
  for (let round = 1; round <= 8; round++) {
    const [what, change] = rounds[(round - 1) % rounds.length]!;
    await change(round);
    t.equal(await sql`select salesdash.prepare_rfm() as r`.then(([row]) => row!.r), 'caught up', `round ${round}: caught up`);
    const { moved, scratch } = await movedAndFromScratch(sql);
    t.same(moved, scratch, `round ${round} (${what}): moved state = state from scratch`);
  }
});
