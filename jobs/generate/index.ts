// `salesdash generate --customers N [--seed S] [--replace]`: a synthetic shop history in the Olist layout (see
// model.ts for the purchase process), streamed straight into raw.* through COPY in one transaction.
// Deterministic: the same seed and size give byte-identical rows. Memory stays flat whatever N: people are
// simulated one at a time from (seed, index) in a worker thread (simulate-worker.ts), rows flow in 256 KB chunks
// with back-pressure (the worker stays a few chunks ahead of what PostgreSQL has taken), and orders/items wait
// in temporary spill files (about 130 bytes per order in the system temp directory) until the customers COPY
// is done: one connection runs one COPY at a time.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sql } from '../../db/connection.ts';
import { copyLines } from '../import/copy-in.ts';
import { emptyShop, lockShopSource, markShopSource, rawTableNames } from '../import/shop-source.ts';
import { dropIndexesAndConstraints, restoreIndexesAndConstraints } from './bulk-load.ts';
import { buildCatalog } from './model.ts';
import { simulatedCustomerChunks } from './simulation.ts';
import { categoryLines, productLines, rawColumns } from './rows.ts';

export interface GenerateOptions {
  customers: number;
  seed?: number;
  /** Delete whatever raw.* holds first (in the same transaction); without it a non-empty database is refused. */
  replace?: boolean;
  onProgress?: (progress: { table: string; customers: number; of: number }) => void;
  /** Called as each step begins, so a failure can be reported with the step it interrupted. */
  onStep?: (step: string) => void;
}

export interface GenerateCounts {
  /** People (distinct customer_unique_id). */
  customers: number;
  /** raw.customers rows: one order-level customer_id per order, as in Olist. */
  customerIds: number;
  orders: number;
  items: number;
  products: number;
  seconds: number;
  /** Where the time went: COPY of each table (customers includes simulating everyone), rebuilds, ANALYZE. */
  phaseSeconds: { customers: number; orders: number; items: number; indexes: number; analyze: number };
}

export const defaultSeed = 42;
export const maxCustomers = 20_000_000;
const chunkCharacters = 256 * 1024;

async function* fileChunks(path: string, progress: () => void): AsyncGenerator<string> {
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: chunkCharacters })) {
    yield chunk as string;
  }
  progress();
}

export async function generate(sql: Sql, options: GenerateOptions): Promise<GenerateCounts> {
  const started = performance.now();
  const { customers } = options;
  const seed = options.seed ?? defaultSeed;
  if (!Number.isInteger(customers) || customers < 1 || customers > maxCustomers) {
    throw new Error(`customers must be a whole number between 1 and ${maxCustomers}, got ${customers}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed must be a whole number between 0 and 4294967295, got ${seed}`);
  }
  const catalog = buildCatalog(seed, customers);
  const timings = { customers: 0, orders: 0, items: 0, indexes: 0, analyze: 0 };
  const step = (name: string) => options.onStep?.(name);
  let phaseStarted = performance.now();

  const counts = await sql.begin(async (tx) => {
    // The shop-source row first (the lock order every job writing raw.* follows, see shop-source.ts); then
    // nobody reads half-filled tables: the lock waits for running readers and holds new ones until commit.
    step('locking the raw tables');
    await lockShopSource(tx, { emptying: options.replace === true });
    // Every raw table (from the catalog: tables such as raw.refunds reference the ones refilled here).
    const rawTables = await rawTableNames(tx);
    await tx`lock table ${tx(rawTables)} in access exclusive mode`;
    const [existing] = await tx`
      select (select count(*) from raw.orders)::bigint as orders, (select count(*) from raw.customers)::bigint as customers`;
    if ((Number(existing.orders) > 0 || Number(existing.customers) > 0) && !options.replace) {
      throw new Error(
        `the database already holds ${existing.orders} orders and ${existing.customers} customer ids; ` +
          'run with --replace to delete them and generate anew',
      );
    }
    // Replacing a shop drops what was computed from it too (predictions, snapshots), as reset does.
    if (Number(existing.orders) > 0 || Number(existing.customers) > 0) await emptyShop(tx);
    // Truncating in this transaction also lets COPY write frozen rows (no later rewrite by VACUUM).
    await tx`truncate ${tx(rawTables)}`;
    const saved = await dropIndexesAndConstraints(tx, rawTables);

    const load = async (table: keyof typeof rawColumns, lines: Iterable<string> | AsyncIterable<string>) => {
      step(`loading raw.${table}`);
      await copyLines(tx, { table: `raw.${table}`, columns: rawColumns[table], freeze: true }, lines);
    };
    const progressOf = (table: string) => (done: number) => options.onProgress?.({ table, customers: done, of: customers });
    const phase = (name: keyof GenerateCounts['phaseSeconds']) => {
      timings[name] = (performance.now() - phaseStarted) / 1000;
      phaseStarted = performance.now();
    };

    await load('product_categories', categoryLines());
    await load('products', productLines(catalog));
    const spillDir = mkdtempSync(join(tmpdir(), 'salesdash-generate-'));
    try {
      const ordersFile = join(spillDir, 'orders.copy');
      const itemsFile = join(spillDir, 'order_items.copy');
      await load(
        'customers',
        simulatedCustomerChunks({ seed, customers, ordersFile, itemsFile, chunkCharacters }, progressOf('customers')),
      );
      phase('customers');
      await load('orders', fileChunks(ordersFile, () => progressOf('orders')(customers)));
      phase('orders');
      await load('order_items', fileChunks(itemsFile, () => progressOf('order_items')(customers)));
      phase('items');
    } finally {
      rmSync(spillDir, { recursive: true, force: true });
    }

    options.onProgress?.({ table: 'indexes', customers, of: customers });
    step('building indexes and foreign keys');
    await restoreIndexesAndConstraints(tx, saved);
    phase('indexes');
    // Fresh statistics, so the RFM refresh and the model queries right after get good plans.
    step('analyzing raw.*');
    await tx`analyze raw.customers, raw.orders, raw.order_items, raw.products, raw.product_categories`;
    phase('analyze');
    const [rows] = await tx`
      select (select count(*) from raw.customers)::int as customer_ids, (select count(*) from raw.orders)::int as orders,
             (select count(*) from raw.order_items)::int as items, (select count(*) from raw.products)::int as products`;
    // Marked as demo data, so an import never joins it by accident.
    await markShopSource(tx, 'generated', `seed ${seed}`, customers);
    step('committing');
    return { customers, customerIds: rows.customer_ids, orders: rows.orders, items: rows.items, products: rows.products };
  });
  return { ...counts, seconds: (performance.now() - started) / 1000, phaseSeconds: timings };
}
