// `salesdash import olist <dir>`: the public Olist e-commerce files as distributed. Everything happens in one
// transaction: each file streams (validated row by row) into a TEMP staging table through COPY, the staged rows
// are checked against each other and the database, then merged into raw.* with upserts keyed by the Olist ids.
// A bad file therefore leaves the database exactly as it was, and importing the same files twice changes nothing.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type postgres from 'postgres';
import type { Sql } from '../../db/connection.ts';
import { copyLines, copyRow, type CopyValue } from './copy-in.ts';
import { openCsv, type CsvFile, type Delimiter } from './csv-file.ts';
import {
  amount,
  dateLimits,
  id,
  optionalId,
  optionalText,
  positiveInteger,
  requiredText,
  timestamp,
  type DateFormat,
  type DateLimits,
  type FieldAt,
} from './fields.ts';
import { excerpt, ImportError } from './import-error.ts';
import { prepareShopForImport, markShopSource, rejectEmptyReplacement } from './shop-source.ts';
import { countOrders, rejectRepeatedKeys, rejectUnknownReferences } from './staging.ts';
import { rejectTotalsTooLarge } from './totals.ts';

export const olistFiles = {
  customers: 'olist_customers_dataset.csv',
  orders: 'olist_orders_dataset.csv',
  items: 'olist_order_items_dataset.csv',
  products: 'olist_products_dataset.csv',
  categories: 'product_category_name_translation.csv',
} as const;

export interface ImportProgress {
  file: string;
  rows: number;
}

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  /** Called as each step begins, so a failure can be reported with the step it interrupted. */
  onStep?: (step: string) => void;
  /** Empty the shop first, in the same transaction (else a shop holding generated demo data is refused). */
  replace?: boolean;
  /** Transactions files: read a column from a header named otherwise (column -> header, e.g. order_id -> InvoiceNo). */
  headers?: Readonly<Record<string, string>>;
  /** Transactions files: skip (and count) the rows whose customer_id is empty, e.g. guest checkouts, instead of refusing the file. */
  skipEmptyCustomer?: boolean;
  /** Transactions files: how order_date writes dates (default ISO). */
  dateFormat?: DateFormat;
  /** Transactions files: the shop's IANA time zone; a timestamp with an offset is read on its clock (else refused). */
  timeZone?: string;
  /** Transactions files: the field separator (default a comma). */
  delimiter?: Delimiter;
  /** Transactions files: amounts are written with a comma before the cents (`19,90`). */
  decimalComma?: boolean;
}

export interface ImportCounts {
  /** Rows read from each file (customers = order-level customer ids for Olist, people for generic files). */
  customers: number;
  orders: number;
  items: number;
  products?: number;
  /** Orders of the file that were not stored before (the rest were already there: updated where they differ). */
  newOrders: number;
  /** Rows left out on purpose (a transactions file's rows without a customer, with skipEmptyCustomer). */
  skipped?: number;
  /** A transactions file's lines identical to an earlier line of their order (each is stored as an item). */
  repeatedLines?: number;
  seconds: number;
  /** What the shop held before from another file (its last import), when this import added to it. */
  joined?: string | null;
}

type Tx = postgres.TransactionSql<{}>;

/** How one column of a file becomes one staging column; dates are checked against the import's limits. */
type Convert = (value: string, at: FieldAt, limits: DateLimits) => CopyValue;

interface FileSpec {
  file: string;
  stage: string;
  /** CSV column -> conversion, in staging column order (after `line`). */
  columns: Record<string, Convert>;
  stageDdl: string;
}

const text: Convert = requiredText;
const nullableText: Convert = optionalText;
const key: Convert = (value, at) => id(value, at);
const nullableKey: Convert = optionalId;
// Olist has no refunds: a price or freight is never negative.
const unsignedAmount: Convert = (value, at) => amount(value, at);
const event: Convert = (value, at, limits) => timestamp(value, at, { limits });
const nullableEvent: Convert = (value, at, limits) => timestamp(value, at, { limits, nullable: true });
const nullablePromise: Convert = (value, at, limits) => timestamp(value, at, { limits, nullable: true, role: 'promise' });

const specs: Record<keyof typeof olistFiles, FileSpec> = {
  customers: {
    file: olistFiles.customers,
    stage: 'stage_customers',
    columns: {
      customer_id: key,
      customer_unique_id: key,
      customer_zip_code_prefix: nullableText,
      customer_city: nullableText,
      customer_state: nullableText,
    },
    stageDdl: `customer_id text, customer_unique_id text, customer_zip_code_prefix text, customer_city text,
      customer_state text`,
  },
  orders: {
    file: olistFiles.orders,
    stage: 'stage_orders',
    columns: {
      order_id: key,
      customer_id: key,
      order_status: text,
      order_purchase_timestamp: event,
      order_approved_at: nullableEvent,
      order_delivered_carrier_date: nullableEvent,
      order_delivered_customer_date: nullableEvent,
      order_estimated_delivery_date: nullablePromise,
    },
    stageDdl: `order_id text, customer_id text, order_status text, order_purchase_timestamp timestamp,
      order_approved_at timestamp, order_delivered_carrier_date timestamp, order_delivered_customer_date timestamp,
      order_estimated_delivery_date timestamp`,
  },
  items: {
    file: olistFiles.items,
    stage: 'stage_order_items',
    columns: {
      order_id: key,
      order_item_id: positiveInteger,
      product_id: nullableKey,
      seller_id: nullableKey,
      shipping_limit_date: nullablePromise,
      price: unsignedAmount,
      freight_value: unsignedAmount,
    },
    stageDdl: `order_id text, order_item_id integer, product_id text, seller_id text, shipping_limit_date timestamp,
      price numeric(12, 2), freight_value numeric(12, 2)`,
  },
  products: {
    file: olistFiles.products,
    stage: 'stage_products',
    columns: { product_id: key, product_category_name: nullableKey },
    stageDdl: 'product_id text, product_category_name text',
  },
  categories: {
    file: olistFiles.categories,
    stage: 'stage_product_categories',
    columns: { product_category_name: key, product_category_name_english: nullableText },
    stageDdl: 'product_category_name text, product_category_name_english text',
  },
};

const progressEvery = 10_000;

/** Validates and converts every record of `csv` into COPY lines for the staging table (line number first). */
async function* stagedLines(csv: CsvFile, spec: FileSpec, limits: DateLimits, counter: { rows: number }, options: ImportOptions) {
  const names = Object.keys(spec.columns);
  const converts = Object.values(spec.columns);
  const positions = names.map((name) => csv.columns.get(name)!);
  const at: FieldAt = { file: csv.label, line: 0, column: '' };
  for await (const { line, fields } of csv.records()) {
    at.line = line;
    const values: CopyValue[] = [line];
    for (let i = 0; i < names.length; i++) {
      at.column = names[i];
      values.push(converts[i](fields[positions[i]], at, limits));
    }
    yield copyRow(values);
    counter.rows++;
    if (counter.rows % progressEvery === 0) options.onProgress?.({ file: csv.label, rows: counter.rows });
  }
  options.onProgress?.({ file: csv.label, rows: counter.rows });
}

async function stageFile(tx: Tx, dir: string, spec: FileSpec, limits: DateLimits, options: ImportOptions): Promise<number> {
  options.onStep?.(`loading ${spec.file}`);
  const csv = await openCsv(join(dir, spec.file), Object.keys(spec.columns));
  await tx.unsafe(`create temp table ${spec.stage} (line integer not null, ${spec.stageDdl}) on commit drop`);
  const counter = { rows: 0 };
  await copyLines(tx, { table: spec.stage, columns: ['line', ...Object.keys(spec.columns)] }, stagedLines(csv, spec, limits, counter, options));
  await tx.unsafe(`analyze ${spec.stage}`);
  return counter.rows;
}

export async function importOlist(sql: Sql, dir: string, options: ImportOptions = {}): Promise<ImportCounts> {
  const started = performance.now();
  const limits = dateLimits(new Date());
  if (!existsSync(dir)) throw new ImportError(dir, null, null, 'the directory does not exist');
  if (!statSync(dir).isDirectory()) throw new ImportError(dir, null, null, 'not a directory (import olist reads a directory of CSV files)');
  for (const file of [olistFiles.customers, olistFiles.orders, olistFiles.items]) {
    if (!existsSync(join(dir, file))) throw new ImportError(file, null, null, `file not found in ${dir}`);
  }
  const hasProducts = existsSync(join(dir, olistFiles.products));
  const hasCategories = existsSync(join(dir, olistFiles.categories));

  const counts = await sql.begin(async (tx) => {
    options.onStep?.('checking what the shop holds');
    // What markShopSource records for this import, and what prepareShopForImport compares with.
    const detail = `olist ${dir}`;
    const { joined } = await prepareShopForImport(tx, { replace: options.replace ?? false, detail });
    const customers = await stageFile(tx, dir, specs.customers, limits, options);
    const orders = await stageFile(tx, dir, specs.orders, limits, options);
    const items = await stageFile(tx, dir, specs.items, limits, options);
    const products = hasProducts ? await stageFile(tx, dir, specs.products, limits, options) : undefined;
    if (hasCategories) await stageFile(tx, dir, specs.categories, limits, options);

    options.onStep?.('checking the files');
    await rejectRepeatedKeys(tx, 'stage_customers', ['customer_id'], olistFiles.customers);
    await rejectRepeatedKeys(tx, 'stage_orders', ['order_id'], olistFiles.orders);
    await rejectRepeatedKeys(tx, 'stage_order_items', ['order_id', 'order_item_id'], olistFiles.items);
    if (hasProducts) await rejectRepeatedKeys(tx, 'stage_products', ['product_id'], olistFiles.products);
    if (hasCategories) {
      await rejectRepeatedKeys(tx, 'stage_product_categories', ['product_category_name'], olistFiles.categories);
    }
    await rejectUnknownReferences(tx, {
      stage: 'stage_orders',
      column: 'customer_id',
      file: olistFiles.orders,
      targetStage: 'stage_customers',
      targetTable: 'raw.customers',
      targetColumn: 'customer_id',
      describe: (key) => `customer ${excerpt(key)} is neither in ${olistFiles.customers} nor already imported`,
    });
    await rejectUnknownReferences(tx, {
      stage: 'stage_order_items',
      column: 'order_id',
      file: olistFiles.items,
      targetStage: 'stage_orders',
      targetTable: 'raw.orders',
      targetColumn: 'order_id',
      describe: (key) => `order ${excerpt(key)} is neither in ${olistFiles.orders} nor already imported`,
    });

    const ordersBefore = await countOrders(tx);
    options.onStep?.('merging into raw.*');
    await mergeIntoRaw(tx, { hasProducts, hasCategories });
    await rejectTotalsTooLarge(tx, olistFiles.items);
    const ordersAfter = await countOrders(tx);
    if (options.replace) rejectEmptyReplacement(ordersAfter, olistFiles.orders, 'no order to load');
    const newOrders = ordersAfter - ordersBefore;
    await markShopSource(tx, 'imported', detail);
    options.onStep?.('committing');
    return { customers, orders, items, products, newOrders, joined };
  });

  return { ...counts, seconds: (performance.now() - started) / 1000 };
}

// Upserts: a re-import of the same files matches every row and updates nothing (the `where ... is distinct
// from` guards skip identical rows); a newer export updates statuses and delivery dates in place.
async function mergeIntoRaw(tx: Tx, present: { hasProducts: boolean; hasCategories: boolean }): Promise<void> {
  await tx`
    insert into raw.customers (customer_id, customer_unique_id, customer_zip_code_prefix, customer_city, customer_state)
    select customer_id, customer_unique_id, customer_zip_code_prefix, customer_city, customer_state
    from stage_customers
    -- In key order: index insertions and the later foreign-key lookups then touch neighbouring pages.
    order by customer_id
    on conflict (customer_id) do update
      set customer_unique_id = excluded.customer_unique_id,
          customer_zip_code_prefix = excluded.customer_zip_code_prefix,
          customer_city = excluded.customer_city,
          customer_state = excluded.customer_state
      where (raw.customers.customer_unique_id, raw.customers.customer_zip_code_prefix, raw.customers.customer_city,
             raw.customers.customer_state)
        is distinct from (excluded.customer_unique_id, excluded.customer_zip_code_prefix, excluded.customer_city,
             excluded.customer_state)`;
  await tx`
    insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp, order_approved_at,
      order_delivered_carrier_date, order_delivered_customer_date, order_estimated_delivery_date)
    select order_id, customer_id, order_status, order_purchase_timestamp, order_approved_at,
      order_delivered_carrier_date, order_delivered_customer_date, order_estimated_delivery_date
    from stage_orders
    order by customer_id, order_id
    on conflict (order_id) do update
      set customer_id = excluded.customer_id,
          order_status = excluded.order_status,
          order_purchase_timestamp = excluded.order_purchase_timestamp,
          order_approved_at = excluded.order_approved_at,
          order_delivered_carrier_date = excluded.order_delivered_carrier_date,
          order_delivered_customer_date = excluded.order_delivered_customer_date,
          order_estimated_delivery_date = excluded.order_estimated_delivery_date
      where (raw.orders.customer_id, raw.orders.order_status, raw.orders.order_purchase_timestamp,
             raw.orders.order_approved_at, raw.orders.order_delivered_carrier_date,
             raw.orders.order_delivered_customer_date, raw.orders.order_estimated_delivery_date)
        is distinct from (excluded.customer_id, excluded.order_status, excluded.order_purchase_timestamp,
             excluded.order_approved_at, excluded.order_delivered_carrier_date,
             excluded.order_delivered_customer_date, excluded.order_estimated_delivery_date)`;
  await tx`
    insert into raw.order_items (order_id, order_item_id, product_id, seller_id, shipping_limit_date, price, freight_value)
    select order_id, order_item_id, product_id, seller_id, shipping_limit_date, price, freight_value
    from stage_order_items
    order by order_id, order_item_id
    on conflict (order_id, order_item_id) do update
      set product_id = excluded.product_id,
          seller_id = excluded.seller_id,
          shipping_limit_date = excluded.shipping_limit_date,
          price = excluded.price,
          freight_value = excluded.freight_value
      where (raw.order_items.product_id, raw.order_items.seller_id, raw.order_items.shipping_limit_date,
             raw.order_items.price, raw.order_items.freight_value)
        is distinct from (excluded.product_id, excluded.seller_id, excluded.shipping_limit_date, excluded.price,
             excluded.freight_value)`;
  if (present.hasCategories) {
    await tx`
      insert into raw.product_categories (product_category_name, product_category_name_english)
      select product_category_name, product_category_name_english
      from stage_product_categories
      on conflict (product_category_name) do update
        set product_category_name_english = excluded.product_category_name_english
        where raw.product_categories.product_category_name_english
          is distinct from excluded.product_category_name_english`;
  }
  if (present.hasProducts) {
    // product_name belongs to generic imports; an Olist products file only knows the category.
    await tx`
      insert into raw.products (product_id, product_category_name)
      select product_id, product_category_name
      from stage_products
      on conflict (product_id) do update
        set product_category_name = excluded.product_category_name
        where raw.products.product_category_name is distinct from excluded.product_category_name`;
  }
}
