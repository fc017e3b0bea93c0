// A small shop in the raw (Olist) layout with figures that are easy to check by hand:
// - 12 people p01..p12; person pNN has (NN % 4) + 1 counted orders, the last one on 2018-06-NN.
// - p01 placed its two orders under two Olist order-level ids (o-p01-1, o-p01-2) in two cities, latest São Paulo.
// - p13 has only a canceled order: a known customer without RFM figures.
// - Products: one with a name, one with only a (translated) category, one unknown to raw.products.
import type { Sql } from '../../db/connection.ts';

export interface FixtureOrder {
  order_id: string;
  order_customer_id: string;
  person: string;
  purchased_at: string;
  status: string;
  items: { product_id: string; price: number; freight: number }[];
}

export const fixtureOrders: FixtureOrder[] = [];
for (let n = 1; n <= 12; n++) {
  const person = `p${String(n).padStart(2, '0')}`;
  const orders = (n % 4) + 1;
  for (let k = 1; k <= orders; k++) {
    // Order k of person n: one month apart, ending on 2018-06-<n>.
    const month = 6 - (orders - k);
    fixtureOrders.push({
      order_id: `${person}-order-${k}`,
      order_customer_id: person === 'p01' ? `o-p01-${k}` : person,
      person,
      purchased_at: `2018-${String(month).padStart(2, '0')}-${String(n).padStart(2, '0')} 10:00:00`,
      status: 'delivered',
      items: [
        { product_id: 'mug-1', price: 10 * n, freight: 1.5 },
        ...(k % 2 === 0 ? [{ product_id: 'towel-2', price: 5, freight: 0 }] : []),
        ...(n === 12 && k === orders ? [{ product_id: 'mystery-3', price: 100, freight: 0 }] : []),
      ],
    });
  }
}
fixtureOrders.push({
  order_id: 'p13-order-1',
  order_customer_id: 'p13',
  person: 'p13',
  purchased_at: '2018-05-05 09:00:00',
  status: 'canceled',
  items: [{ product_id: 'mug-1', price: 50, freight: 2 }],
});

/** Inserts the fixture; call refresh_rfm() afterwards to score it. */
export async function insertFixture(sql: Sql): Promise<void> {
  const customers = new Map<string, { customer_id: string; customer_unique_id: string; customer_city: string; customer_state: string }>();
  for (const o of fixtureOrders) {
    const latestP01 = o.order_customer_id === 'o-p01-2';
    customers.set(o.order_customer_id, {
      customer_id: o.order_customer_id,
      customer_unique_id: o.person,
      customer_city: o.person === 'p01' ? (latestP01 ? 'sao paulo' : 'campinas') : `city of ${o.person}`,
      customer_state: 'SP',
    });
  }
  await sql.begin(async (tx) => {
    await tx`insert into raw.product_categories ${tx([{ product_category_name: 'cama_mesa_banho', product_category_name_english: 'bed_bath_table' }])}`;
    await tx`insert into raw.products ${tx([
      { product_id: 'mug-1', product_category_name: null, product_name: 'Blue Mug' },
      { product_id: 'towel-2', product_category_name: 'cama_mesa_banho', product_name: null },
    ])}`;
    await tx`insert into raw.customers ${tx([...customers.values()])}`;
    await tx`insert into raw.orders ${tx(
      fixtureOrders.map((o) => ({
        order_id: o.order_id,
        customer_id: o.order_customer_id,
        order_status: o.status,
        order_purchase_timestamp: o.purchased_at,
      })),
    )}`;
    await tx`insert into raw.order_items ${tx(
      fixtureOrders.flatMap((o) =>
        o.items.map((item, i) => ({
          order_id: o.order_id,
          order_item_id: i + 1,
          product_id: item.product_id,
          price: item.price,
          freight_value: item.freight,
        })),
      ),
    )}`;
  });
}

/** Counted orders of one person with their amounts, newest first: what the details route must return. */
export function expectedHistory(person: string) {
  return fixtureOrders
    .filter((o) => o.person === person && o.status !== 'canceled')
    .sort((a, b) => b.purchased_at.localeCompare(a.purchased_at))
    .map((o) => ({
      order_id: o.order_id,
      date: o.purchased_at.slice(0, 10),
      amount: Math.round(o.items.reduce((sum, i) => sum + i.price + i.freight, 0) * 100) / 100,
      products: o.items.map((i) =>
        i.product_id === 'mug-1' ? 'Blue Mug' : i.product_id === 'towel-2' ? 'bed_bath_table' : i.product_id,
      ),
    }));
}
