// The purchase process behind the generated shop: BG/NBD ("buy till you die", Fader, Hardie & Lee 2005).
// Each person arrives at some day of the window and buys at once; while alive they buy again after exponential
// gaps with a personal rate lambda ~ Gamma(r, 1/alpha) per day; after every purchase they leave for good with a
// personal probability p ~ Beta(a, b). Heterogeneous rates and dropouts give what real shops show: many one-time
// buyers, a loyal heavy-buying minority, customers who silently stop. Order values are log-normal (heavy tail).
import { Random, uniqueId } from './random.ts';
import { categories, cities, cumulative, pick } from './places.ts';

export const generatorParameters = {
  windowStart: '2023-01-01',
  windowDays: 731, // through 2024-12-31
  purchaseRateShape: 0.8, // r
  purchaseRateRate: 40, // alpha (days): mean rate r / alpha = one purchase per 50 days while alive
  dropoutA: 1, // a
  dropoutB: 3, // b: mean dropout probability after a purchase a / (a + b) = 0.25
  uniformArrivalShare: 0.3, // the rest arrive with a linearly growing rate: the shop grows
  canceledShare: 0.006,
  unavailableShare: 0.006,
  multiItemShare: 0.1,
  sameProductShare: 0.5, // of multi-item orders: several units of one product (Olist: one row per unit)
  personSpendSigma: 0.35, // spread of a person's price level around the product price
  productPriceSigma: 0.8,
} as const;

const P = generatorParameters;
const secondsPerDay = 86_400;
const windowSeconds = P.windowDays * secondsPerDay;

// Stream kinds of streamSeed(seed, kind, index).
export const streams = { person: 0, product: 1, seller: 2, order: 3, orderCustomer: 4 } as const;

const cityWeights = cumulative(cities.map((c) => c.weight));
const categoryWeights = cumulative(categories.map((c) => c.weight));

export interface Product {
  id: string;
  category: number;
  price: number;
}

export interface Catalog {
  products: Product[];
  sellers: string[];
}

/** Catalog size grows with the customer base (as a shop's assortment does), within Olist's 32,951 products. */
export function catalogSize(customers: number): { products: number; sellers: number } {
  const products = Math.min(32_951, Math.max(200, Math.round(customers / 30)));
  return { products, sellers: Math.max(20, Math.round(products / 10)) };
}

export function buildCatalog(seed: number, customers: number): Catalog {
  const size = catalogSize(customers);
  const products: Product[] = [];
  for (let i = 0; i < size.products; i++) {
    const random = new Random(seed, streams.product, i);
    const category = pick(categoryWeights, random.next());
    const price = Math.max(3, random.logNormal(categories[category].medianPrice, P.productPriceSigma));
    products.push({ id: uniqueId(seed, streams.product, i), category, price });
  }
  const sellers: string[] = [];
  for (let i = 0; i < size.sellers; i++) sellers.push(uniqueId(seed, streams.seller, i));
  return { products, sellers };
}

export type OrderStatus = 'delivered' | 'shipped' | 'invoiced' | 'canceled' | 'unavailable';

export interface Item {
  product: number;
  seller: number;
  price: number;
  freight: number;
}

export interface Order {
  /** Seconds since the window start. */
  purchasedAt: number;
  status: OrderStatus;
  approvedAt: number | null;
  carrierAt: number | null;
  deliveredAt: number | null;
  /** Whole days since the window start (Olist's estimates are dates at midnight). */
  estimatedDay: number;
  items: Item[];
  customerId: string;
  orderId: string;
}

export interface Person {
  uniqueId: string;
  city: number;
  zip: string;
  orders: Order[];
}

// Popular products sell far more often: index = n * u^3 puts half the sales on the first eighth of the catalog.
function popularProduct(random: Random, products: number): number {
  const u = random.next();
  return Math.floor(products * u * u * u);
}

/**
 * Everything about person `index`; the same (seed, index) always gives the same person. `firstOrder` is the
 * sequence number of their first order (people are generated in index order), from which order ids derive.
 */
export function simulatePerson(seed: number, index: number, firstOrder: number, catalog: Catalog): Person {
  const random = new Random(seed, streams.person, index);
  const personId = uniqueId(seed, streams.person, index);
  const city = pick(cityWeights, random.next());
  const place = cities[city];
  const zip = String(place.zipFrom + random.below(place.zipTo - place.zipFrom + 1)).padStart(5, '0');

  const arrival =
    random.next() < P.uniformArrivalShare ? random.next() * windowSeconds : Math.sqrt(random.next()) * windowSeconds;
  const lambdaPerSecond = random.gamma(P.purchaseRateShape, 1 / P.purchaseRateRate) / secondsPerDay;
  const dropout = random.beta(P.dropoutA, P.dropoutB);
  const priceLevel = random.logNormal(1, P.personSpendSigma);
  const favouriteCategoryProduct = popularProduct(random, catalog.products.length);

  const orders: Order[] = [];
  let at = arrival;
  for (;;) {
    const order = firstOrder + orders.length;
    const ids = { orderId: uniqueId(seed, streams.order, order), customerId: uniqueId(seed, streams.orderCustomer, order) };
    orders.push(simulateOrder(random, at, ids, catalog, priceLevel, favouriteCategoryProduct));
    if (random.next() < dropout) break;
    at += random.exponential(lambdaPerSecond);
    if (at >= windowSeconds) break;
  }
  return { uniqueId: personId, city, zip, orders };
}

function simulateOrder(
  random: Random,
  purchasedAt: number,
  ids: { orderId: string; customerId: string },
  catalog: Catalog,
  priceLevel: number,
  favourite: number,
): Order {
  const { orderId, customerId } = ids;
  const fate = random.next();
  let status: OrderStatus =
    fate < P.canceledShare ? 'canceled' : fate < P.canceledShare + P.unavailableShare ? 'unavailable' : 'delivered';

  // Olist timings: approval within hours, carrier after ~2 days, delivery ~8 days later, estimate ~3 weeks out.
  const approvedAt = status === 'canceled' && random.next() < 0.3 ? null : purchasedAt + random.exponential(1 / 36_000);
  let carrierAt: number | null =
    status === 'delivered' && approvedAt !== null ? approvedAt + random.logNormal(2, 0.6) * secondsPerDay : null;
  let deliveredAt: number | null = carrierAt === null ? null : carrierAt + random.logNormal(7, 0.5) * secondsPerDay;
  const estimatedDay = Math.floor(purchasedAt / secondsPerDay) + 15 + random.below(20);
  // Orders late in the window are still on their way when the data ends: no delivery date yet.
  if (carrierAt !== null && carrierAt >= windowSeconds) {
    status = 'invoiced';
    carrierAt = null;
    deliveredAt = null;
  } else if (deliveredAt !== null && deliveredAt >= windowSeconds) {
    status = 'shipped';
    deliveredAt = null;
  }

  const items: Item[] = [];
  // Unavailable orders never got their items (as in Olist).
  if (status !== 'unavailable') {
    let count = 1;
    if (random.next() < P.multiItemShare) {
      count = 2;
      while (count < 6 && random.next() < 0.35) count++;
    }
    const sameProduct = count > 1 && random.next() < P.sameProductShare;
    let product = random.next() < 0.3 ? favourite : popularProduct(random, catalog.products.length);
    const seller = random.below(catalog.sellers.length);
    for (let i = 0; i < count; i++) {
      if (i > 0 && !sameProduct) product = popularProduct(random, catalog.products.length);
      const price = Math.round(catalog.products[product].price * priceLevel * 100) / 100;
      const freight = Math.round((8 + price * 0.05 + random.next() * 12) * 100) / 100;
      items.push({ product, seller, price, freight });
    }
  }
  return { purchasedAt, status, approvedAt, carrierAt, deliveredAt, estimatedDay, items, customerId, orderId };
}
