// A fingerprint of everything in raw.*: row counts plus an md5 over every table's rows in key order. Two equal
// snapshots mean the data is identical, which is how the tests prove a rejected import changed nothing and
// that the generator is deterministic.
import type { Sql } from '../../db/connection.ts';

export interface RawSnapshot {
  customers: number;
  people: number;
  orders: number;
  items: number;
  refunds: number;
  products: number;
  categories: number;
  md5: Record<string, string>;
}

export async function rawSnapshot(sql: Sql): Promise<RawSnapshot> {
  const [counts] = await sql`
    select (select count(*) from raw.customers)::int as customers,
           (select count(distinct customer_unique_id) from raw.customers)::int as people,
           (select count(*) from raw.orders)::int as orders,
           (select count(*) from raw.order_items)::int as items,
           (select count(*) from raw.refunds)::int as refunds,
           (select count(*) from raw.products)::int as products,
           (select count(*) from raw.product_categories)::int as categories`;
  const [md5] = await sql`
    select (select md5(coalesce(string_agg(c::text, '|' order by c.customer_id), '')) from raw.customers c) as customers,
           (select md5(coalesce(string_agg(o::text, '|' order by o.order_id), '')) from raw.orders o) as orders,
           (select md5(coalesce(string_agg(i::text, '|' order by i.order_id, i.order_item_id), '')) from raw.order_items i) as items,
           (select md5(coalesce(string_agg(r::text, '|' order by r.refund_id), '')) from raw.refunds r) as refunds,
           (select md5(coalesce(string_agg(p::text, '|' order by p.product_id), '')) from raw.products p) as products,
           (select md5(coalesce(string_agg(k::text, '|' order by k.product_category_name), '')) from raw.product_categories k) as categories`;
  return { ...(counts as Omit<RawSnapshot, 'md5'>), md5: { ...md5 } };
}
