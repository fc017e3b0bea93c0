-- migrate:up
-- Training reads the counted orders once per window (five or more passes) and once more to score everyone.
-- As a plain view each pass re-joined orders, customers and all order items; at a million customers that was
-- most of the training time. A materialized snapshot, refreshed by `salesdash train` when it starts, makes each
-- pass a scan of one narrow table and gives the whole run one consistent picture of the data (imports that
-- land during a training wait for the next one). The feature functions resolve the name at call time.
drop view salesdash_internal.model_purchases;

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

-- migrate:down
drop materialized view salesdash_internal.model_purchases;

create view salesdash_internal.model_purchases as
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
comment on view salesdash_internal.model_purchases is
  'One row per counted order (not canceled/unavailable, at least one item), keyed to the person. Input of the model features.';
