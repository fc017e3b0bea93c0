// One person's profile in one statement: who they are, their RFM figures, the model's prediction and every
// counted order with what was bought. The id may be the person (customer_unique_id) or, for Olist data, any
// of the order-level customer_ids Olist issues per order; both resolve to the person.
import type { CustomerDetails } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';

export async function customerDetails(sql: Sql, id: string): Promise<CustomerDetails | undefined> {
  const [row] = await sql<{ details: CustomerDetails }[]>`
    -- The person is looked up once and used as a scalar below: joined as a row instead, the planner cannot
    -- tell it is one row and scans the whole published RFM table.
    with person as (
      (select customer_unique_id as person_id from raw.customers where customer_unique_id = ${id} limit 1)
      union all
      (select customer_unique_id from raw.customers where customer_id = ${id})
      limit 1
    ),
    -- Where the person lives now: the address of their most recent order.
    home as (
      select c.customer_city as city, c.customer_state as state
      from raw.customers c
      left join raw.orders o on o.customer_id = c.customer_id
      where c.customer_unique_id = (select person_id from person)
      order by o.order_purchase_timestamp desc nulls last
      limit 1
    ),
    -- The published buffer, not the rfm_scores materialized view: refresh_rfm() refreshes that view with
    -- an exclusive lock, and a profile must not wait for a refresh.
    rfm as (
      select jsonb_build_object(
        'recency', s.recency_days::int, 'frequency', s.frequency::int, 'monetary', s.monetary::float8,
        'segment', s.segment, 'recency_score', s.recency_score::int, 'frequency_score', s.frequency_score::int,
        'monetary_score', s.monetary_score::int, 'rfm_score', s.overall_rfm_score::int) as rfm
      from salesdash_internal.rfm_customers_published s
      where s.customer_id = (select person_id from person)
    ),
    prediction as (
      select jsonb_build_object(
        'purchase_probability', pr.purchase_probability::float8, 'predicted_next_month', pr.predicted_label,
        'confidence', pr.confidence::float8) as prediction
      from salesdash.predictions pr
      where pr.customer_id = (select person_id from person)
    ),
    -- The person's counted orders: the rule of salesdash_internal.counted_orders (not canceled/unavailable,
    -- at least one item, amount = price + freight), written per person so every step is an index lookup;
    -- the view itself totals all items of all orders before joining, which takes seconds at scale.
    counted as (
      select o.order_id, o.order_purchase_timestamp as purchased_at, totals.amount
      from raw.customers c
      join raw.orders o on o.customer_id = c.customer_id
      cross join lateral (
        select sum(i.price + i.freight_value)::numeric(14, 2) as amount, count(*) as items
        from raw.order_items i
        where i.order_id = o.order_id
      ) totals
      where c.customer_unique_id = (select person_id from person)
        and o.order_status not in ('canceled', 'unavailable') and totals.items > 0
    ),
    -- Products named as a person would recognise them: product name, else category, else the bare id.
    history as (
      select coalesce(jsonb_agg(jsonb_build_object(
               'order_id', o.order_id, 'date', to_char(o.purchased_at, 'YYYY-MM-DD'), 'amount', o.amount::float8,
               'products', coalesce((
                 select jsonb_agg(named.product order by named.first_item)
                 from (
                   select coalesce(pr.product_name, pc.product_category_name_english, pr.product_category_name, i.product_id, 'unknown') as product,
                          min(i.order_item_id) as first_item
                   from raw.order_items i
                   left join raw.products pr on pr.product_id = i.product_id
                   left join raw.product_categories pc on pc.product_category_name = pr.product_category_name
                   where i.order_id = o.order_id
                   group by 1
                 ) named), '[]'::jsonb))
             order by o.purchased_at desc, o.order_id desc), '[]'::jsonb) as transaction_history
      from counted o
    )
    select jsonb_build_object(
      'customer_id', p.person_id,
      'city', (select city from home),
      'state', (select state from home),
      'rfm', (select rfm from rfm),
      'prediction', (select prediction from prediction),
      'transaction_history', (select transaction_history from history)) as details
    from person p`;
  return row?.details;
}
