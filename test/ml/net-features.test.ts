// The model's spend features are net of refunds (net_monetary, as RFM's monetary), over the same windows as
// the purchases; refunds after the as-of date never reach them, and a refund is not a purchase day.
import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import { insertOrders } from './fixtures.ts';

t.test('spend features are net of refunds up to the as-of date, never below 0', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, [
    { orderId: 'a1', person: 'A', at: '2023-06-01 10:00', amount: 100 },
    { orderId: 'a2', person: 'A', at: '2024-03-01 10:00', amount: 50 },
    { orderId: 'b1', person: 'B', at: '2024-03-10 10:00', amount: 20 },
  ]);
  await sql`
    insert into raw.refunds (refund_id, customer_id, refunded_at, amount) values
      ('ra1', 'A', '2023-06-03 09:00', 40),  -- within 365 days, not 90
      ('ra2', 'A', '2024-03-02 09:00', 5),   -- within 90 days, a day after the last purchase
      ('ra3', 'A', '2024-04-05 09:00', 50),  -- after the as-of date
      ('rb1', 'B', '2024-03-11 09:00', 25)   -- more than B paid`;
  await sql`select salesdash_internal.refresh_model_snapshot()`;
  const rows = await sql`
    select customer_id, recency_days, frequency, purchase_days, monetary, spend_90d, spend_365d, avg_order_value
    from salesdash_internal.customer_training_rows('2024-03-31', 0) order by customer_id`;
  t.same(rows.map((r) => ({ ...r })), [
    { customer_id: 'A', recency_days: 30, frequency: 2, purchase_days: 2, monetary: 105, spend_90d: 45, spend_365d: 105, avg_order_value: 52.5 },
    { customer_id: 'B', recency_days: 21, frequency: 1, purchase_days: 1, monetary: 0, spend_90d: 0, spend_365d: 0, avg_order_value: 0 },
  ]);
});
