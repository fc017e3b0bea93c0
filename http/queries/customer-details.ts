// One person's profile in one statement: who they are, their RFM figures, the model's prediction, every
// counted order with what was bought, and their refunds. The id may be the person (customer_unique_id) or, for Olist data, any
// of the order-level customer_ids Olist issues per order; both resolve to the person.
import type { CustomerDetails } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';

export async function customerDetails(sql: Sql, id: string): Promise<CustomerDetails | undefined> {
  const [row] = await sql<{ details: CustomerDetails }[]>`
    -- The person is looked up once and used as a scalar below: joined as a row instead, the planner cannot
    -- tell it is one row and scans the whole published list.
    with person as (
      select customer_id from api.customer_ids where requested_id = ${id} limit 1
    ),
    home as (
      select h.city, h.state from api.customer_homes h where h.customer_id = (select customer_id from person)
    ),
    -- rfm_scores_current, not the rfm_scores materialized view: a profile must never wait for a refresh.
    rfm as (
      select jsonb_build_object(
        'recency', s.recency_days, 'frequency', s.frequency, 'monetary', s.monetary::float8,
        'segment', s.segment, 'recency_score', s.recency_score, 'frequency_score', s.frequency_score,
        'monetary_score', s.monetary_score, 'rfm_score', s.overall_rfm_score) as rfm
      from salesdash.rfm_scores_current s
      where s.customer_id = (select customer_id from person)
    ),
    prediction as (
      select jsonb_build_object(
        'purchase_probability', pr.purchase_probability::float8, 'predicted_next_month', pr.predicted_label,
        'confidence', pr.confidence::float8, 'expected_orders', pr.expected_orders::float8,
        'expected_revenue', pr.expected_revenue::float8, 'horizon_days', pr.horizon_days) as prediction
      from api.customer_predictions pr
      where pr.customer_id = (select customer_id from person)
    ),
    history as (
      select coalesce(jsonb_agg(jsonb_build_object(
               'order_id', o.order_id, 'date', to_char(o.ordered_at, 'YYYY-MM-DD'), 'amount', o.amount::float8,
               'products', to_jsonb(o.products))
             order by o.ordered_at desc, o.order_id desc), '[]'::jsonb) as transaction_history
      from api.customer_orders o
      where o.customer_id = (select customer_id from person)
    ),
    refunds as (
      select coalesce(jsonb_agg(jsonb_build_object(
               'refund_id', r.refund_id, 'date', to_char(r.refunded_at, 'YYYY-MM-DD'), 'amount', r.amount::float8)
             order by r.refunded_at desc, r.refund_id desc), '[]'::jsonb) as refunds
      from api.customer_refunds r
      where r.customer_id = (select customer_id from person)
    )
    select jsonb_build_object(
      'customer_id', p.customer_id,
      'city', (select city from home),
      'state', (select state from home),
      'rfm', (select rfm from rfm),
      'prediction', (select prediction from prediction),
      'transaction_history', (select transaction_history from history),
      'refunds', (select refunds from refunds)) as details
    from person p`;
  return row?.details;
}
