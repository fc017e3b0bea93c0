-- migrate:up
-- Features and labels for the purchase-probability model, computed in SQL "as of" any date so that the
-- same definitions serve training windows in the past, the holdout and today's scoring.
-- This migration reads raw.* itself (it does not depend on the RFM objects) but uses the same definitions:
-- an order counts when it is not canceled/unavailable and has at least one item; its amount is the sum of
-- price + freight_value; the customer is the person (raw.customers.customer_unique_id).

-- Training reads the counted orders once per window (five or more passes) and once more to score everyone.
-- As a plain view each pass re-joined orders, customers and all order items; at a million customers that was
-- most of the training time. A materialized snapshot, refreshed by `salesdash train` when it starts, makes each
-- pass a scan of one narrow table and gives the whole run one consistent picture of the data (imports that
-- land during a training wait for the next one). The feature functions resolve the name at call time.
create materialized view salesdash_internal.model_purchases as
with order_totals as (
  select order_id, sum(price + freight_value)::numeric(14, 2) as amount, count(*)::int as items
  from raw.order_items
  group by order_id
),

counted_orders as (
  select o.order_id, c.customer_unique_id as customer_id, o.order_purchase_timestamp as purchased_at,
         t.amount, t.items
  from raw.orders o
  join raw.customers c on c.customer_id = o.customer_id
  join order_totals t on t.order_id = o.order_id
  where o.order_status not in ('canceled', 'unavailable')
)

select * from counted_orders;
comment on materialized view salesdash_internal.model_purchases is
  'One row per counted order (not canceled/unavailable, at least one item), keyed to the person: the input of the model features. A snapshot: salesdash train refreshes it when it starts.';

-- A stable per-person sampling key, so a subsampled training set keeps the same people in every window
-- and two runs with the same data pick the same rows.
create function salesdash_internal.model_sample_key(customer_id text) returns float8
language sql immutable parallel safe strict as $$
  select ((hashtext(customer_id) & 1048575)::float8) / 1048576
$$;
comment on function salesdash_internal.model_sample_key(text) is
  'Deterministic number in [0, 1) per person; rows with a key below a share form a reproducible subsample.';

-- Training needs features as of T and the label for (T, T + horizon] for the same people. Computing them in
-- one pass over the counted orders halves the work per window (at a million customers each pass is seconds),
-- and customer_features becomes that same function with an empty horizon, so there is one definition.
create function salesdash_internal.customer_training_rows(as_of date, horizon_days int, sample_share float8 default 1)
returns table (
  customer_id text,
  recency_days int,
  frequency int,
  monetary float8,
  tenure_days int,
  purchase_days int,
  avg_gap_days float8,
  last_gap_days int,
  max_gap_days int,
  gap_stddev_days float8,
  settled_purchase_days int,
  orders_30d int,
  orders_90d int,
  orders_180d int,
  orders_365d int,
  purchase_days_30d int,
  purchase_days_90d int,
  purchase_days_180d int,
  purchase_days_365d int,
  spend_90d float8,
  spend_365d float8,
  avg_order_value float8,
  items_per_order float8,
  will_purchase boolean
)
language sql stable parallel safe as $$
  with purchases as (
    select p.customer_id, p.purchased_at::date as purchased_on, p.amount, p.items,
           p.purchased_at < as_of + 1 as is_history
    from salesdash_internal.model_purchases p
    where p.purchased_at < as_of + 1 + horizon_days
      and (sample_share >= 1 or salesdash_internal.model_sample_key(p.customer_id) < sample_share)
  ),

  -- Only orders placed on or before as_of feed the features: nothing later may reach them (tested).
  history as (
    select customer_id, purchased_on, amount, items from purchases where is_history
  ),

  -- The label of as-of date T: at least one counted purchase in (T, T + horizon_days] (whole days).
  labels as (
    select customer_id, bool_or(not is_history) as will_purchase
    from purchases
    group by customer_id
  ),

  -- Gaps between distinct purchase days: the latest gap says more about the current pace than the average,
  -- and their spread says how regular the customer is.
  purchase_days as (
    select customer_id, purchased_on,
           purchased_on - lag(purchased_on) over by_day as gap_days,
           purchased_on - min(purchased_on) over (partition by customer_id) as days_after_first,
           row_number() over (partition by customer_id order by purchased_on desc) as nth_latest
    from (select distinct customer_id, purchased_on from history) d
    window by_day as (partition by customer_id order by purchased_on)
  ),

  day_stats as (
    select customer_id,
           max(gap_days) filter (where nth_latest = 1) as last_gap_days,
           max(gap_days) as max_gap_days,
           stddev_pop(gap_days) as gap_stddev_days,
           -- Repeat days after the first 90 days: lasting habit rather than the burst right after acquisition.
           count(*) filter (where days_after_first > 90) as settled_purchase_days
    from purchase_days
    group by customer_id
  ),

  per_customer as (
    select customer_id,
           min(purchased_on) as first_on,
           max(purchased_on) as last_on,
           count(*) as orders,
           count(distinct purchased_on) as days_with_orders,
           sum(amount) as spend,
           sum(items) as items,
           count(*) filter (where purchased_on > as_of - 30) as orders_30d,
           count(*) filter (where purchased_on > as_of - 90) as orders_90d,
           count(*) filter (where purchased_on > as_of - 180) as orders_180d,
           count(*) filter (where purchased_on > as_of - 365) as orders_365d,
           count(distinct purchased_on) filter (where purchased_on > as_of - 30) as purchase_days_30d,
           count(distinct purchased_on) filter (where purchased_on > as_of - 90) as purchase_days_90d,
           count(distinct purchased_on) filter (where purchased_on > as_of - 180) as purchase_days_180d,
           count(distinct purchased_on) filter (where purchased_on > as_of - 365) as purchase_days_365d,
           coalesce(sum(amount) filter (where purchased_on > as_of - 90), 0) as spend_90d,
           coalesce(sum(amount) filter (where purchased_on > as_of - 365), 0) as spend_365d
    from history
    group by customer_id
  ),

  final as (
    select customer_id,
           (as_of - last_on)::int as recency_days,
           orders::int as frequency,
           spend::float8 as monetary,
           (as_of - first_on)::int as tenure_days,
           days_with_orders::int as purchase_days,
           -- A one-day customer has no gap yet; 0 keeps the column numeric (purchase_days says why).
           case when days_with_orders > 1
                then (last_on - first_on)::float8 / (days_with_orders - 1) else 0 end as avg_gap_days,
           coalesce(g.last_gap_days, 0)::int as last_gap_days,
           coalesce(g.max_gap_days, 0)::int as max_gap_days,
           coalesce(g.gap_stddev_days, 0)::float8 as gap_stddev_days,
           g.settled_purchase_days::int as settled_purchase_days,
           orders_30d::int, orders_90d::int, orders_180d::int, orders_365d::int,
           purchase_days_30d::int, purchase_days_90d::int, purchase_days_180d::int, purchase_days_365d::int,
           spend_90d::float8, spend_365d::float8,
           (spend / orders)::float8 as avg_order_value,
           (items::float8 / orders) as items_per_order,
           l.will_purchase
    from per_customer
    join day_stats g using (customer_id)
    join labels l using (customer_id)
  )

  select * from final
$$;
comment on function salesdash_internal.customer_training_rows(date, int, float8) is
  'customer_features(as_of) plus will_purchase = at least one counted purchase in the horizon_days days after as_of, in one pass. One row per person who bought on or before as_of.';

create function salesdash_internal.customer_features(as_of date, sample_share float8 default 1)
returns table (
  customer_id text,
  recency_days int,
  frequency int,
  monetary float8,
  tenure_days int,
  purchase_days int,
  avg_gap_days float8,
  last_gap_days int,
  max_gap_days int,
  gap_stddev_days float8,
  settled_purchase_days int,
  orders_30d int,
  orders_90d int,
  orders_180d int,
  orders_365d int,
  purchase_days_30d int,
  purchase_days_90d int,
  purchase_days_180d int,
  purchase_days_365d int,
  spend_90d float8,
  spend_365d float8,
  avg_order_value float8,
  items_per_order float8
)
language sql stable parallel safe as $$
  select customer_id, recency_days, frequency, monetary, tenure_days, purchase_days, avg_gap_days, last_gap_days, max_gap_days, gap_stddev_days, settled_purchase_days, orders_30d, orders_90d, orders_180d, orders_365d, purchase_days_30d, purchase_days_90d, purchase_days_180d, purchase_days_365d, spend_90d, spend_365d, avg_order_value, items_per_order
  from salesdash_internal.customer_training_rows(as_of, 0, sample_share)
$$;
comment on function salesdash_internal.customer_features(date, float8) is
  'One row per person with a counted purchase on or before as_of; every feature uses only orders up to as_of. sample_share < 1 keeps a deterministic subsample of people.';

create function salesdash_internal.customer_labels(as_of date, horizon_days int, sample_share float8 default 1)
returns table (customer_id text, will_purchase boolean)
language sql stable parallel safe as $$
  with purchases as (
    select p.customer_id, p.purchased_at
    from salesdash_internal.model_purchases p
    where p.purchased_at < as_of + 1 + horizon_days
      and (sample_share >= 1 or salesdash_internal.model_sample_key(p.customer_id) < sample_share)
  ),

  final as (
    -- The label of as-of date T: at least one counted purchase in (T, T + horizon_days] (whole days).
    select customer_id, bool_or(purchased_at >= as_of + 1) as will_purchase
    from purchases
    group by customer_id
    having min(purchased_at) < as_of + 1
  )

  select * from final
$$;
comment on function salesdash_internal.customer_labels(date, int, float8) is
  'One row per person who bought on or before as_of: will_purchase = at least one counted purchase in the horizon_days days after as_of.';

-- migrate:down
drop function salesdash_internal.customer_labels(date, int, float8);
drop function salesdash_internal.customer_features(date, float8);
drop function salesdash_internal.customer_training_rows(date, int, float8);
drop function salesdash_internal.model_sample_key(text);
drop materialized view salesdash_internal.model_purchases;
