// COPY text lines for each raw table, from the simulated people. Timestamps are formatted by hand from
// precomputed day strings: Date.toISOString for ~20 million timestamps would dominate the generation time.
import { copyField, copyRow } from '../import/copy-in.ts';
import { categories, cities } from './places.ts';
import { generatorParameters, type Catalog, type Person } from './model.ts';

const [startYear, startMonth, startDay] = generatorParameters.windowStart.split('-').map(Number);
// The window plus room for delivery dates and estimates after it.
const dayStrings = Array.from({ length: generatorParameters.windowDays + 200 }, (_, day) =>
  new Date(Date.UTC(startYear, startMonth - 1, startDay + day)).toISOString().slice(0, 10),
);
const twoDigits = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const escapedCityNames = cities.map((c) => copyField(c.name));

function timestamp(secondsSinceStart: number | null): string {
  if (secondsSinceStart === null) return '\\N';
  const seconds = Math.floor(secondsSinceStart);
  const day = Math.floor(seconds / 86_400);
  let rest = seconds - day * 86_400;
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const minute = Math.floor(rest / 60);
  return `${dayStrings[day]} ${twoDigits[hour]}:${twoDigits[minute]}:${twoDigits[rest - minute * 60]}`;
}

export const rawColumns = {
  customers: ['customer_id', 'customer_unique_id', 'customer_zip_code_prefix', 'customer_city', 'customer_state'],
  orders: [
    'order_id', 'customer_id', 'order_status', 'order_purchase_timestamp', 'order_approved_at',
    'order_delivered_carrier_date', 'order_delivered_customer_date', 'order_estimated_delivery_date',
  ],
  order_items: ['order_id', 'order_item_id', 'product_id', 'seller_id', 'shipping_limit_date', 'price', 'freight_value'],
  products: ['product_id', 'product_category_name'],
  product_categories: ['product_category_name', 'product_category_name_english'],
} as const;

/** Like Olist: one raw.customers row per order, all sharing the person's customer_unique_id. */
export function customerLines(person: Person): string {
  const city = cities[person.city];
  let lines = '';
  for (const order of person.orders) {
    lines += `${order.customerId}\t${person.uniqueId}\t${person.zip}\t${escapedCityNames[person.city]}\t${city.state}\n`;
  }
  return lines;
}

export function orderLines(person: Person): string {
  let lines = '';
  for (const o of person.orders) {
    lines +=
      `${o.orderId}\t${o.customerId}\t${o.status}\t${timestamp(o.purchasedAt)}\t${timestamp(o.approvedAt)}\t` +
      `${timestamp(o.carrierAt)}\t${timestamp(o.deliveredAt)}\t${dayStrings[o.estimatedDay]} 00:00:00\n`;
  }
  return lines;
}

export function itemLines(person: Person, catalog: Catalog): string {
  let lines = '';
  for (const o of person.orders) {
    const shippingLimit = timestamp(o.purchasedAt + 6 * 86_400);
    for (let i = 0; i < o.items.length; i++) {
      const item = o.items[i];
      lines +=
        `${o.orderId}\t${i + 1}\t${catalog.products[item.product].id}\t${catalog.sellers[item.seller]}\t` +
        `${shippingLimit}\t${item.price.toFixed(2)}\t${item.freight.toFixed(2)}\n`;
    }
  }
  return lines;
}

export function productLines(catalog: Catalog): string[] {
  return catalog.products.map((p) => copyRow([p.id, categories[p.category].name]));
}

export function categoryLines(): string[] {
  return categories.map((c) => copyRow([c.name, c.english]));
}
