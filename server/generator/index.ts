// `salesdash generate --customers N [--seed S] [--replace]`: a synthetic shop history in the Olist layout (see
// model.ts for the purchase process), streamed straight into raw.* through COPY in one transaction.
// Deterministic: the same seed and size give byte-identical rows. Memory stays flat whatever N: each table is
// one pass over the people, each person regenerated from (seed, index), and rows flow in 256 KB chunks with
// back-pressure (the next chunk is produced only when PostgreSQL has taken the previous one).
import type { Sql } from '../db/connection.ts';
import { copyLines } from '../importers/copy-in.ts';
import { dropIndexesAndForeignKeys, restoreIndexesAndForeignKeys } from './bulk-load.ts';
import { buildCatalog, simulatePerson, type Catalog, type Person } from './model.ts';
import { categoryLines, customerLines, itemLines, orderLines, productLines, rawColumns } from './rows.ts';

export interface GenerateOptions {
  customers: number;
  seed?: number;
  /** Delete whatever raw.* holds first (in the same transaction); without it a non-empty database is refused. */
  replace?: boolean;
  onProgress?: (progress: { table: string; customers: number; of: number }) => void;
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
}

export const defaultSeed = 42;
export const maxCustomers = 20_000_000;
const rawTables = ['raw.order_items', 'raw.orders', 'raw.customers', 'raw.products', 'raw.product_categories'];
const chunkCharacters = 256 * 1024;

/** Chunks of COPY lines for one table: one pass over all people. */
function* personChunks(
  seed: number,
  customers: number,
  catalog: Catalog,
  linesOf: (person: Person) => string,
  progress: (done: number) => void,
): Generator<string> {
  let chunk = '';
  let nextOrder = 0;
  for (let index = 0; index < customers; index++) {
    const person = simulatePerson(seed, index, nextOrder, catalog);
    nextOrder += person.orders.length;
    chunk += linesOf(person);
    if (chunk.length >= chunkCharacters) {
      yield chunk;
      chunk = '';
      progress(index + 1);
    }
  }
  if (chunk) yield chunk;
  progress(customers);
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

  const counts = await sql.begin(async (tx) => {
    // Nobody reads half-filled tables: the lock waits for running readers and holds new ones until commit.
    await tx`lock table ${tx(rawTables)} in access exclusive mode`;
    const [existing] = await tx`
      select (select count(*) from raw.orders)::bigint as orders, (select count(*) from raw.customers)::bigint as customers`;
    if ((Number(existing.orders) > 0 || Number(existing.customers) > 0) && !options.replace) {
      throw new Error(
        `the database already holds ${existing.orders} orders and ${existing.customers} customer ids; ` +
          'run with --replace to delete them and generate anew',
      );
    }
    // Truncating in this transaction also lets COPY write frozen rows (no later rewrite by VACUUM).
    await tx`truncate ${tx(rawTables)}`;
    const saved = await dropIndexesAndForeignKeys(tx, ['raw.customers', 'raw.orders', 'raw.order_items']);

    const load = async (table: keyof typeof rawColumns, lines: Iterable<string>) =>
      copyLines(tx, { table: `raw.${table}`, columns: rawColumns[table], freeze: true }, lines);
    const progressOf = (table: string) => (done: number) => options.onProgress?.({ table, customers: done, of: customers });

    await load('product_categories', categoryLines());
    await load('products', productLines(catalog));
    await load('customers', personChunks(seed, customers, catalog, customerLines, progressOf('customers')));
    await load('orders', personChunks(seed, customers, catalog, orderLines, progressOf('orders')));
    await load(
      'order_items',
      personChunks(seed, customers, catalog, (person) => itemLines(person, catalog), progressOf('order_items')),
    );

    options.onProgress?.({ table: 'indexes', customers, of: customers });
    await restoreIndexesAndForeignKeys(tx, saved);
    // Fresh statistics, so the RFM refresh and the model queries right after get good plans.
    await tx`analyze raw.customers, raw.orders, raw.order_items, raw.products, raw.product_categories`;
    const [rows] = await tx`
      select (select count(*) from raw.customers)::int as customer_ids, (select count(*) from raw.orders)::int as orders,
             (select count(*) from raw.order_items)::int as items, (select count(*) from raw.products)::int as products`;
    return { customers, customerIds: rows.customer_ids, orders: rows.orders, items: rows.items, products: rows.products };
  });
  return { ...counts, seconds: (performance.now() - started) / 1000 };
}
