// A hand-made shop whose RFM figures are worked out by hand in the tests:
// alice has two order-level ids (a1, a2), bob has a canceled order, dave's only order has no items.
import type { Sql } from '../../db/connection.ts';

export async function loadHandFixture(sql: Sql): Promise<void> {
  await sql`
    insert into raw.customers values
      ('a1', 'alice', '01001', 'São Paulo', 'SP'),
      ('a2', 'alice', '01001', 'São Paulo', 'SP'),
      ('b1', 'bob', '20000', 'Rio de Janeiro', 'RJ'),
      ('c1', 'carol', '80000', 'Curitiba', 'PR'),
      ('d1', 'dave', '50000', 'Recife', 'PE')`;
  await sql`
    insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp) values
      ('o1', 'a1', 'delivered', '2024-01-10 10:00'),
      ('o2', 'a2', 'delivered', '2024-03-01 09:00'),
      ('o3', 'b1', 'canceled',  '2024-03-05 09:00'),
      ('o4', 'b1', 'delivered', '2024-02-01 09:00'),
      ('o5', 'c1', 'shipped',   '2024-03-10 23:59'),
      ('o6', 'd1', 'delivered', '2024-03-02 00:00')`;
  await loadHandFixtureItems(sql);
}

export async function loadHandFixtureItems(sql: Sql): Promise<void> {
  await sql`
    insert into raw.order_items (order_id, order_item_id, product_id, price, freight_value) values
      ('o1', 1, 'p1', 10, 2), ('o1', 2, 'p2', 5, 0),
      ('o2', 1, 'p1', 100, 10),
      ('o3', 1, 'p1', 999, 0),
      ('o4', 1, 'p3', 50, 5),
      ('o5', 1, 'p1', 20, 0)`;
}
