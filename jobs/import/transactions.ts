// `salesdash import transactions <file.csv>`: a generic shop export with one row per purchase, or per line of
// a purchase. The rows sharing an order_id are one order (status delivered) of one customer (the id is both the
// order-level and the person id), each row an item whose price is its amount; a row with a negative amount is a
// refund line instead (refunds.ts). Same guarantees as the Olist import: one transaction, COPY into a TEMP
// staging table, checks, then upserts keyed by order_id, so a bad file changes nothing and a re-import
// duplicates nothing.
import { basename } from 'node:path';
import type postgres from 'postgres';
import type { Sql } from '../../db/connection.ts';
import { copyLines, copyRow, type CopyValue } from './copy-in.ts';
import { openCsv } from './csv-file.ts';
import { dateLimits, id, isRefundLine, lineQuantity, lineTotal, optionalId, optionalText, signedAmount, timestamp, zoneClock, type FieldAt } from './fields.ts';
import type { ImportCounts, ImportOptions } from './olist.ts';
import { prepareShopForImport, markShopSource, rejectEmptyReplacement } from './shop-source.ts';
import { countOrders, rejectChangedCustomers, rejectDisagreeingLines } from './staging.ts';
import { checkRefunds, mergeRefunds, stageRefunds } from './refunds.ts';
import { rejectTotalsTooLarge } from './totals.ts';
import { excerpt, ImportError } from './import-error.ts';

type Tx = postgres.TransactionSql<{}>;

export const transactionColumns = {
  required: ['order_id', 'customer_id', 'order_date', 'amount'],
  optional: ['quantity', 'product_id', 'product_name', 'customer_city', 'customer_state', 'unit_price'],
} as const;
// Read with --column unit_price=HEADER, a line's amount is quantity × unit price: those two are required instead.
const unitPricedColumns = [...transactionColumns.required.filter((name) => name !== 'amount'), 'unit_price', 'quantity'];

const progressEvery = 10_000;

export async function importTransactions(
  sql: Sql,
  file: string,
  options: ImportOptions = {},
): Promise<ImportCounts & { refunds: number; storedRefunds: number }> {
  const started = performance.now();
  const limits = dateLimits(new Date());
  const label = basename(file);
  // An unknown zone is refused before the file is read.
  if (options.timeZone !== undefined) zoneClock(options.timeZone);
  const byUnitPrice = options.headers?.unit_price !== undefined;
  if (byUnitPrice && options.headers?.amount !== undefined) {
    throw new ImportError(label, null, null, "--column amount and --column unit_price both given: amount is a line's total, unit_price × quantity makes one; give one of them");
  }
  const required: readonly string[] = byUnitPrice ? unitPricedColumns : transactionColumns.required;
  const unread = byUnitPrice ? 'amount' : 'unit_price';
  const optional = [...transactionColumns.required, ...transactionColumns.optional].filter((name) => !required.includes(name) && name !== unread);
  const csv = await openCsv(file, required, optional, { headers: options.headers, renamable: true, delimiter: options.delimiter });
  const mark = options.decimalComma ? ',' : '.';
  const position = (name: string) => csv.columns.get(name);
  // Each mode has order_id, customer_id and order_date (openCsv refused the file otherwise); amount only without a unit price.
  const [orderId, customerId, orderDate] = transactionColumns.required.map((name) => position(name)!);
  const amountAt = position('amount');
  const [quantityAt, productIdAt, productNameAt, cityAt, stateAt, unitPriceAt] = transactionColumns.optional.map(position);
  // amount is a line's total. Read from a column named like a unit price ("UnitPrice", "Lineitem price"), it is
  // only right where a line holds one unit, so a line of more is refused rather than undercounted.
  const amountHeader = options.headers?.amount;
  const unitPriced = amountHeader !== undefined && /unit|price/i.test(amountHeader) && !/total|amount|sum/i.test(amountHeader);

  async function* stagedLines(counter: { rows: number; skipped: number }) {
    const at: FieldAt = { file: label, line: 0, column: '' };
    const field = (fields: string[], index: number | undefined) => (index === undefined ? undefined : fields[index]);
    for await (const { line, fields } of csv.records()) {
      at.line = line;
      // A row nobody can be credited with (a guest checkout) is left out whole, unread, when asked to.
      const guest = fields[customerId]!.trim() === '';
      if (guest && options.skipEmptyCustomer) {
        counter.skipped++;
        continue;
      }
      at.column = 'order_id';
      const order = id(fields[orderId], at);
      at.column = 'customer_id';
      const customer = id(fields[customerId], at, guest ? ' (rows without a customer, such as guest checkouts, can be left out with --skip-empty-customer)' : '');
      at.column = 'order_date';
      const orderedAt = timestamp(fields[orderDate], at, { limits, kind: 'date', format: options.dateFormat ?? 'YYYY-MM-DD', timeZone: options.timeZone });
      at.column = 'amount';
      // A negative amount is a refund line (refunds.ts).
      const price = byUnitPrice ? lineTotal(fields[unitPriceAt!]!, fields[quantityAt!]!, at, mark) : signedAmount(fields[amountAt!], at, mark);
      const refund = isRefundLine(price);
      const quantity = field(fields, quantityAt);
      // Read with a unit price, the quantity was checked by lineTotal.
      if (!byUnitPrice && quantity !== undefined && quantity !== '') {
        at.column = 'quantity';
        const units = lineQuantity(quantity, at, refund);
        if (unitPriced && Math.abs(units) !== 1) {
          throw new ImportError(label, line, 'quantity', `${excerpt(quantity)} units, and amount is read from ${excerpt(amountHeader!)}, which reads as a ` +
            `price per unit: amount must be the line's total. Read that column with --column unit_price=${amountHeader} instead (each ` +
            "line's amount is then quantity × unit price), or, if it already holds line totals, rename it");
        }
      }
      at.column = 'product_name';
      const productName = optionalText(field(fields, productNameAt), at);
      at.column = 'product_id';
      let productId = optionalId(field(fields, productIdAt), at);
      // A file that names products without ids still gets a product per name, so the name must be an id.
      if (productId === null && productName !== null) {
        at.column = 'product_name';
        productId = id(productName, at, ' (the name is the product id when product_id is empty)');
      }
      at.column = 'customer_city';
      const city = optionalText(field(fields, cityAt), at);
      at.column = 'customer_state';
      const state = optionalText(field(fields, stateAt), at);
      const values: CopyValue[] = [line, order, customer, orderedAt, price, refund ? 't' : 'f', productId, productName, city, state];
      yield copyRow(values);
      counter.rows++;
      if (counter.rows % progressEvery === 0) options.onProgress?.({ file: label, rows: counter.rows });
    }
    options.onProgress?.({ file: label, rows: counter.rows });
  }

  const counts = await sql.begin(async (tx) => {
    options.onStep?.('checking what the shop holds');
    // What markShopSource records for this import, and what prepareShopForImport compares with.
    const detail = `transactions ${label}`;
    const { joined } = await prepareShopForImport(tx, { replace: options.replace ?? false, detail });
    options.onStep?.(`loading ${label}`);
    await tx`
      create temp table stage_transactions (
        line integer not null, order_id text, customer_id text, ordered_at timestamp, amount numeric(12, 2),
        refund boolean not null, product_id text, product_name text, customer_city text, customer_state text
      ) on commit drop`;
    const counter = { rows: 0, skipped: 0 };
    await copyLines(
      tx,
      {
        table: 'stage_transactions',
        columns: ['line', 'order_id', 'customer_id', 'ordered_at', 'amount', 'refund', 'product_id', 'product_name',
          'customer_city', 'customer_state'],
      },
      stagedLines(counter),
    );
    await tx`analyze stage_transactions`;
    options.onStep?.(`checking ${label}`);
    await stageRefunds(tx);
    await rejectDisagreeingLines(tx, 'stage_transactions', { what: 'order', date: 'ordered_at' }, label);
    await checkRefunds(tx, label);
    await rejectChangedCustomers(tx, 'stage_transactions', { table: 'raw.orders', key: 'order_id', what: 'order' }, label);
    await rejectChangedCustomers(tx, 'stage_refunds', { table: 'raw.refunds', key: 'refund_id', what: 'refund' }, label);
    // Each line is an item, so two identical lines of one order are two items: what a till prints for two of a
    // kind, or a row exported twice. Counted, so the summary shows them either way.
    const [{ repeatedLines }] = await tx<{ repeatedLines: number }[]>`
      select (count(*) - count(distinct (order_id, ordered_at, amount, product_id)))::int as "repeatedLines"
      from stage_transactions`;
    const ordersBefore = await countOrders(tx);
    options.onStep?.('merging into raw.*');
    const merged = await mergeIntoRaw(tx);
    const { refunds, storedRefunds } = await mergeRefunds(tx);
    await rejectTotalsTooLarge(tx, label);
    const ordersAfter = await countOrders(tx);
    if (options.replace) {
      rejectEmptyReplacement(ordersAfter, label, counter.skipped
        ? `no order to load: every row (${counter.skipped}) has an empty customer_id and was skipped`
        : counter.rows === 0 ? 'no order to load: only a header, no rows' : 'no order to load, only refunds');
    }
    const newOrders = ordersAfter - ordersBefore;
    await markShopSource(tx, 'imported', detail);
    options.onStep?.('committing');
    return { ...merged, refunds, storedRefunds, newOrders, skipped: counter.skipped, repeatedLines, joined };
  });

  return { ...counts, seconds: (performance.now() - started) / 1000 };
}

async function mergeIntoRaw(tx: Tx): Promise<{ customers: number; products: number; orders: number; items: number }> {
  // A customer's latest non-empty city/state in the file wins; what the file leaves empty keeps what is stored.
  await tx`
    insert into raw.customers (customer_id, customer_unique_id, customer_city, customer_state)
    select customer_id, customer_id,
           (array_agg(customer_city order by line desc) filter (where customer_city is not null))[1],
           (array_agg(customer_state order by line desc) filter (where customer_state is not null))[1]
    from stage_transactions
    group by customer_id
    order by customer_id
    on conflict (customer_id) do update
      set customer_city = coalesce(excluded.customer_city, raw.customers.customer_city),
          customer_state = coalesce(excluded.customer_state, raw.customers.customer_state)
      where (excluded.customer_city is not null and excluded.customer_city is distinct from raw.customers.customer_city)
         or (excluded.customer_state is not null and excluded.customer_state is distinct from raw.customers.customer_state)`;
  const [{ people }] = await tx`select count(distinct customer_id)::int as people from stage_transactions`;
  await tx`
    insert into raw.products (product_id, product_name)
    select distinct on (product_id) product_id, product_name
    from stage_transactions
    where product_id is not null
    order by product_id, line desc
    on conflict (product_id) do update
      set product_name = coalesce(excluded.product_name, raw.products.product_name)
      where excluded.product_name is not null and excluded.product_name is distinct from raw.products.product_name`;
  const [{ products }] = await tx`select count(distinct product_id)::int as products from stage_transactions`;
  // One order per order_id, at its earliest line's time; its lines agree on customer and day
  // (rejectDisagreeingLines), so min(customer_id) is that customer.
  await tx`
    insert into raw.orders (order_id, customer_id, order_status, order_purchase_timestamp)
    select order_id, min(customer_id), 'delivered', min(ordered_at)
    from stage_transactions
    group by order_id
    -- In key order: the foreign-key lookups and index insertions then touch neighbouring pages.
    order by 2, 1
    on conflict (order_id) do update
      set customer_id = excluded.customer_id,
          order_purchase_timestamp = excluded.order_purchase_timestamp
      where (raw.orders.customer_id, raw.orders.order_purchase_timestamp)
        is distinct from (excluded.customer_id, excluded.order_purchase_timestamp)`;
  // An order's lines are its items 1, 2, ... in file order; each carries its amount, no freight.
  await tx`
    insert into raw.order_items (order_id, order_item_id, product_id, price, freight_value)
    select order_id, row_number() over (partition by order_id order by line), product_id, amount, 0
    from stage_transactions
    order by order_id
    on conflict (order_id, order_item_id) do update
      set product_id = excluded.product_id,
          price = excluded.price
      where (raw.order_items.product_id, raw.order_items.price) is distinct from (excluded.product_id, excluded.price)`;
  // A newer export of an order with fewer lines: the lines it no longer has go, so the order's total is the file's.
  await tx`
    delete from raw.order_items i
    using (select order_id, count(*) as lines from stage_transactions group by order_id) s
    where i.order_id = s.order_id and i.order_item_id > s.lines`;
  const [counts] = await tx<{ orders: number; items: number }[]>`
    select count(distinct order_id)::int as orders, count(*)::int as items from stage_transactions`;
  return { customers: people, products, ...counts! };
}
