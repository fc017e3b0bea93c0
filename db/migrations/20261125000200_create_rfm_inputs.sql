-- migrate:up
-- The inputs of RFM: which orders count, the person behind each order, the reference date, and the
-- analyst-editable rules (segment grid, optional cut points). Scores themselves are in the next migration.

-- One row: the as-of date of the last refresh_rfm(). Kept in a table (not a function argument) so a DBA's
-- plain `REFRESH MATERIALIZED VIEW salesdash.rfm_scores` reproduces the same as-of date.
create table salesdash_internal.rfm_settings (
  only_row boolean primary key default true check (only_row),
  as_of    date
);
insert into salesdash_internal.rfm_settings (as_of) values (null);
comment on table salesdash_internal.rfm_settings is 'as_of: ignore purchases after this date and measure recency from it; null = the latest counted purchase.';

-- Grain: one row per counted order. An order counts when it is neither canceled nor unavailable and has
-- at least one item; customer_id is the person (Olist customer_unique_id), not the order-level id.
create view salesdash_internal.counted_orders as
with item_totals as (
  select order_id,
         sum(price + freight_value)::numeric(14, 2) as amount,
         count(*)::int as items
  from raw.order_items
  group by order_id
),
final as (
  select o.order_id,
         c.customer_unique_id        as customer_id,
         o.customer_id               as order_customer_id,
         o.order_purchase_timestamp  as purchased_at,
         t.amount,
         t.items
  from raw.orders o
  join raw.customers c on c.customer_id = o.customer_id
  join item_totals t on t.order_id = o.order_id
  where o.order_status not in ('canceled', 'unavailable')
)
select * from final;
comment on view salesdash_internal.counted_orders is 'One row per counted order (not canceled/unavailable, at least one item). customer_id = the person (customer_unique_id); amount = sum of price + freight_value.';

-- Grain: one row. The date recency is measured from.
create view salesdash_internal.rfm_reference as
select coalesce(s.as_of, (select max(purchased_at)::date from salesdash_internal.counted_orders)) as reference_date,
       s.as_of
from salesdash_internal.rfm_settings s;
comment on view salesdash_internal.rfm_reference is 'reference_date = the explicit as-of date, else the date of the latest counted purchase.';

-- Segment rules are data: an R-score range x F-score range per segment. Together they must cover the
-- 5 x 5 grid exactly once, which the deferred constraint trigger below checks at commit, so a DBA can
-- move a boundary with several updates in one transaction.
create table salesdash.rfm_segment_rules (
  segment       text primary key check (segment <> '' and length(segment) <= 60),
  r_min         smallint not null check (r_min between 1 and 5),
  r_max         smallint not null check (r_max between 1 and 5),
  f_min         smallint not null check (f_min between 1 and 5),
  f_max         smallint not null check (f_max between 1 and 5),
  display_order smallint not null,
  check (r_min <= r_max and f_min <= f_max)
);
comment on table salesdash.rfm_segment_rules is 'Segment = the rule whose recency-score range and frequency-score range contain the customer''s scores. Rules must cover all 25 (R, F) cells exactly once (checked at commit). Edit, then run select salesdash.refresh_rfm().';

insert into salesdash.rfm_segment_rules (segment, r_min, r_max, f_min, f_max, display_order) values
  ('Champions',          5, 5, 4, 5,  1),
  ('Loyal',              3, 4, 4, 5,  2),
  ('Potential Loyalist', 4, 5, 2, 3,  3),
  ('New Customers',      5, 5, 1, 1,  4),
  ('Promising',          4, 4, 1, 1,  5),
  ('Need Attention',     3, 3, 3, 3,  6),
  ('About to Sleep',     3, 3, 1, 2,  7),
  ('At-Risk',            1, 2, 3, 4,  8),
  ('Cannot Lose Them',   1, 2, 5, 5,  9),
  ('Hibernating',        2, 2, 1, 2, 10),
  ('Lost',               1, 1, 1, 2, 11);

-- Grain: one row per (R, F) cell with the segment that covers it.
create view salesdash_internal.rfm_segment_grid as
select r.score as recency_score, f.score as frequency_score, rules.segment, count(*) over (partition by r.score, f.score) as rules_covering
from generate_series(1, 5) as r(score)
cross join generate_series(1, 5) as f(score)
left join salesdash.rfm_segment_rules rules
  on r.score between rules.r_min and rules.r_max and f.score between rules.f_min and rules.f_max;

create function salesdash_internal.check_segment_rules() returns trigger
language plpgsql as $$
declare
  problem text;
begin
  select format('cell R=%s F=%s is covered by %s', recency_score, frequency_score,
                case when segment is null then 'no segment' else rules_covering || ' segments' end)
    into problem
  from salesdash_internal.rfm_segment_grid
  where segment is null or rules_covering > 1
  order by recency_score, frequency_score
  limit 1;
  if problem is not null then
    raise exception 'segment rules must cover every R/F cell exactly once: %', problem
      using errcode = 'check_violation';
  end if;
  return null;
end
$$;

create constraint trigger rfm_segment_rules_cover_grid
after insert or update or delete on salesdash.rfm_segment_rules
deferrable initially deferred
for each row execute function salesdash_internal.check_segment_rules();

-- Optional cut points that replace quintiles for one metric. For frequency and monetary a customer gets
-- the highest score whose bound <= value; for recency_days (lower is better) the highest score whose
-- bound >= value. A value that meets no bound scores 1. With no rows for a metric, tie-consistent quintiles.
create table salesdash.rfm_score_bounds (
  metric text not null check (metric in ('recency_days', 'frequency', 'monetary')),
  score  smallint not null check (score between 1 and 5),
  bound  numeric not null,
  primary key (metric, score)
);
comment on table salesdash.rfm_score_bounds is 'Analyst cut points replacing quintiles for a metric: frequency/monetary score s when value >= bound; recency_days score s when value <= bound; highest matching score wins, none = 1. Empty = quintiles.';

-- migrate:down
drop table salesdash.rfm_score_bounds;
drop trigger rfm_segment_rules_cover_grid on salesdash.rfm_segment_rules;
drop function salesdash_internal.check_segment_rules();
drop view salesdash_internal.rfm_segment_grid;
drop table salesdash.rfm_segment_rules;
drop view salesdash_internal.rfm_reference;
drop view salesdash_internal.counted_orders;
drop table salesdash_internal.rfm_settings;
