// RFM on the real CDNOW purchase history: one row per customer, tie-consistent scores, 20% shares where the
// values allow them, and segments that cover everyone.
import { existsSync } from 'node:fs';
import t from 'tap';
import { sharedDataDir, testDatabase } from '../helpers/db.ts';
import { importTransactions } from '../../jobs/import/transactions.ts';
import { refreshRfm } from '../../jobs/rfm/refresh.ts';

const cdnow = `${sharedDataDir}cdnow/cdnow_transactions.csv`;

t.test('RFM on CDNOW', { skip: existsSync(cdnow) ? false : `needs ${cdnow}` }, async (t) => {
  const { sql } = await testDatabase(t);
  await importTransactions(sql, cdnow);
  const result = await refreshRfm(sql);
  t.equal(result.reference_date, '1998-06-30', 'the latest purchase in the file');

  const [counts] = await sql`
    select count(*)::int as rows, count(distinct customer_id)::int as customers,
           (select count(distinct customer_unique_id)::int from raw.customers) as people
    from salesdash.rfm_scores`;
  t.equal(counts!.rows, 23570, 'one row per CDNOW customer');
  t.equal(counts!.customers, 23570);
  t.equal(counts!.people, 23570);

  for (const [value, score] of [['recency_days', 'recency_score'], ['frequency', 'frequency_score'], ['monetary', 'monetary_score']] as const) {
    const [ties] = await sql`
      select count(*)::int as split_groups from (
        select ${sql(value)} from salesdash.rfm_scores group by 1 having count(distinct ${sql(score)}) > 1) g`;
    t.equal(ties!.split_groups, 0, `${value}: equal values always share one ${score}`);
    const [order] = await sql`
      select count(*)::int as inversions from (
        select max(${sql(value)}) as top, min(${sql(value)}) as bottom, ${sql(score)} as s
        from salesdash.rfm_scores group by 3) a
      join (select max(${sql(value)}) as top, min(${sql(value)}) as bottom, ${sql(score)} as s
            from salesdash.rfm_scores group by 3) b on b.s = a.s + 1
      where ${value === 'recency_days' ? sql`b.top > a.bottom` : sql`b.bottom < a.top`}`;
    t.equal(order!.inversions, 0, `${score} grows as ${value} gets better`);
  }

  // Every score equals the tie-consistent quintile computed here independently: 1 + floor(5 * below / n),
  // below = customers with a strictly worse value.
  const all = await sql`select customer_id, recency_days, frequency, monetary::float8 as monetary,
                               recency_score, frequency_score, monetary_score from salesdash.rfm_scores`;
  const expectedScores = (goodness: (r: (typeof all)[number]) => number) => {
    const sorted = all.map(goodness).sort((a, b) => a - b);
    const below = (v: number) => {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return (r: (typeof all)[number]) => 1 + Math.floor((5 * below(goodness(r))) / sorted.length);
  };
  const expectedRecency = expectedScores((r) => -r.recency_days);
  const expectedFrequency = expectedScores((r) => r.frequency);
  const expectedMonetary = expectedScores((r) => r.monetary);
  const mismatches = all.filter(
    (r) => r.recency_score !== expectedRecency(r) || r.frequency_score !== expectedFrequency(r) || r.monetary_score !== expectedMonetary(r),
  );
  t.equal(mismatches.length, 0, 'every score is the tie-consistent quintile');

  // Frequency is mostly ties (about 49% bought once): one-time buyers share score 1 and no tie group splits.
  const [once] = await sql`select count(*)::int as n, min(frequency_score) as lo, max(frequency_score) as hi from salesdash.rfm_scores where frequency = 1`;
  t.same({ ...once }, { n: once!.n, lo: 1, hi: 1 });
  t.ok(once!.n > 10000, 'many one-time buyers');

  const [segments] = await sql`
    select (select count(*)::int from salesdash.rfm_scores where segment is null) as unsegmented,
           (select sum(customers)::int from salesdash.segment_summary) as summed,
           (select round(sum(share)::numeric, 6)::float8 from salesdash.segment_summary) as shares`;
  t.same({ ...segments }, { unsegmented: 0, summed: 23570, shares: 1 }, 'segments cover every customer and sum to the total');

  const [revenue] = await sql`
    select (select sum(amount)::float8 from salesdash_internal.int_counted_orders) as orders,
           (select sum(revenue)::float8 from salesdash.segment_summary) as segments`;
  t.ok(Math.abs(revenue!.orders - revenue!.segments) < 0.01, 'segment revenue adds up to all counted revenue');
});
