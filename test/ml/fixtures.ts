// Small hand-made and simulated order histories for the model tests, written straight into the raw tables.
import type { Sql } from '../../db/connection.ts';
import { seededRandom } from '../../jobs/train/network.ts';

export interface FixtureOrder {
  orderId: string;
  person: string;
  /** Olist order-level customer id; defaults to the person. */
  orderCustomerId?: string;
  at: string;
  amount: number;
  status?: string;
  /** Items sharing the amount; 0 makes an order without items (which never counts). */
  items?: number;
}

function chunks<T>(rows: T[], size = 2000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export async function insertOrders(sql: Sql, orders: FixtureOrder[]): Promise<void> {
  const customers = new Map<string, { customer_id: string; customer_unique_id: string }>();
  for (const o of orders) {
    const id = o.orderCustomerId ?? o.person;
    customers.set(id, { customer_id: id, customer_unique_id: o.person });
  }
  const orderRows = orders.map((o) => ({
    order_id: o.orderId,
    customer_id: o.orderCustomerId ?? o.person,
    order_status: o.status ?? 'delivered',
    order_purchase_timestamp: o.at,
  }));
  const itemRows = orders.flatMap((o) => {
    const items = o.items ?? 1;
    return Array.from({ length: items }, (_, k) => ({
      order_id: o.orderId, order_item_id: k + 1, price: Math.round((o.amount / items) * 100) / 100, freight_value: 0,
    }));
  });
  await sql.begin(async (tx) => {
    for (const rows of chunks([...customers.values()])) {
      await tx`insert into raw.customers ${tx(rows)} on conflict (customer_id) do nothing`;
    }
    for (const rows of chunks(orderRows)) await tx`insert into raw.orders ${tx(rows)}`;
    for (const rows of chunks(itemRows)) await tx`insert into raw.order_items ${tx(rows)}`;
    // The model reads a snapshot of the counted orders (refreshed by each training); tests that call the
    // feature functions directly need it current.
    await tx`select salesdash_internal.refresh_model_snapshot()`;
  });
}

/**
 * A buy-till-you-die shop: each person arrives in the first 90 days, buys as a Poisson process (rate from a
 * gamma-like spread) and drops out after a purchase with a person-specific probability. Deterministic per seed.
 */
export function simulatedOrders(people: number, seed: number, days = 480, start = '2024-01-01'): FixtureOrder[] {
  const random = seededRandom(seed);
  const exponential = (rate: number) => -Math.log(1 - random()) / rate;
  const base = new Date(`${start}T00:00:00Z`).getTime();
  const orders: FixtureOrder[] = [];
  for (let p = 0; p < people; p++) {
    const person = `p${String(p).padStart(5, '0')}`;
    const rate = (0.2 + 3 * random() ** 3) / 30; // purchases per day while alive
    const dropout = 0.05 + 0.5 * random();
    let t = random() * 90;
    for (let n = 1; t < days; n++) {
      orders.push({
        orderId: `${person}-${n}`,
        person,
        at: new Date(base + t * 86_400_000).toISOString().slice(0, 19).replace('T', ' '),
        amount: Math.round((10 + 90 * random()) * 100) / 100,
      });
      if (random() < dropout) break;
      t += exponential(rate);
    }
  }
  return orders;
}
