// The plain reference for RFM: one query, window functions, no caches, straight from the raw tables. The
// property test (property.test.ts) checks that every refresh publishes exactly what this says. It restates
// the definitions on purpose (it is the independent reading of docs/rfm.md), so a bug in the production
// SQL cannot hide by being shared.
import type { Sql } from '../../db/connection.ts';

export interface ReferenceRow {
  customer_id: string;
  last_purchased_date: string;
  recency_days: number;
  frequency: number;
  monetary: string;
  recency_score: number;
  frequency_score: number;
  monetary_score: number;
  segment: string;
  calculated_date: string;
}

export async function referenceScores(sql: Sql, asOf: string | null): Promise<ReferenceRow[]> {
  return sql<ReferenceRow[]>`
    with counted as (
      select c.customer_unique_id as customer_id, o.order_id, o.order_purchase_timestamp as ordered_at,
             sum(i.price + i.freight_value) as amount
      from raw.orders o
      join raw.customers c on c.customer_id = o.customer_id
      join raw.order_items i on i.order_id = o.order_id
      where lower(btrim(o.order_status)) not in ('canceled', 'cancelled', 'unavailable')
        and (${asOf}::date is null or o.order_purchase_timestamp < ${asOf}::date + 1)
      group by 1, 2, 3
    ),
    reference as (select coalesce(${asOf}::date, max(ordered_at)::date) as day from counted),
    -- refunds on or before the reference date, per person: they lower monetary (never below 0), nothing else
    refunded as (
      select c.customer_unique_id as customer_id, sum(r.amount) as amount
      from raw.refunds r
      join raw.customers c on c.customer_id = r.customer_id
      where r.refunded_at::date <= (select day from reference)
      group by 1
    ),
    totals as (
      select o.customer_id, max(o.ordered_at)::date as last_purchased_date, count(*)::int as frequency,
             greatest(0, sum(o.amount) - coalesce(min(f.amount), 0)) as monetary,
             (select day from reference) - max(o.ordered_at)::date as recency_days
      from counted o left join refunded f on f.customer_id = o.customer_id
      group by o.customer_id
    ),
    -- below = customers with a strictly worse value; quintile score = 1 + floor(5 * below / n)
    ranked as (
      select t.*, count(*) over () as n,
             rank() over (order by recency_days desc) - 1 as recency_below,
             rank() over (order by frequency) - 1 as frequency_below,
             rank() over (order by monetary) - 1 as monetary_below
      from totals t
    ),
    -- an analyst bound replaces the quintiles of its metric: the highest score whose bound is met, else 1
    scored as (
      select r.*,
        case when exists (select from salesdash.rfm_score_bounds b where b.metric = 'recency_days')
             then coalesce((select max(score) from salesdash.rfm_score_bounds b where b.metric = 'recency_days' and b.score > 1 and r.recency_days <= b.bound), 1)
             else 1 + 5 * recency_below / n end as recency_score,
        case when exists (select from salesdash.rfm_score_bounds b where b.metric = 'frequency')
             then coalesce((select max(score) from salesdash.rfm_score_bounds b where b.metric = 'frequency' and b.score > 1 and r.frequency >= b.bound), 1)
             else 1 + 5 * frequency_below / n end as frequency_score,
        case when exists (select from salesdash.rfm_score_bounds b where b.metric = 'monetary')
             then coalesce((select max(score) from salesdash.rfm_score_bounds b where b.metric = 'monetary' and b.score > 1 and r.monetary >= b.bound), 1)
             else 1 + 5 * monetary_below / n end as monetary_score
      from ranked r
    )
    select s.customer_id, s.last_purchased_date::text, s.recency_days::int, s.frequency, s.monetary::numeric(14, 2)::text as monetary,
           s.recency_score::int, s.frequency_score::int, s.monetary_score::int, rules.segment,
           (select day from reference)::text as calculated_date
    from scored s
    join salesdash.rfm_segment_rules rules
      on s.recency_score between rules.r_min and rules.r_max and s.frequency_score between rules.f_min and rules.f_max
    order by s.customer_id collate "C"`;
}
