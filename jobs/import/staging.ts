// Checks run on the TEMP staging tables before anything reaches raw.*: a key repeated inside the file, lines of
// one order that disagree, or a row that points at a customer/order present neither in this import nor in the
// database. They report the first offending line so the error reads like the field checks.
import type postgres from 'postgres';
import { counted } from '../../counted.ts';
import { excerpt, ImportError } from './import-error.ts';

type Tx = postgres.TransactionSql<{}>;

/** Rejects the file when `keys` (the natural key) repeats; names the later line and the first one. */
export async function rejectRepeatedKeys(tx: Tx, stage: string, keys: string[], file: string): Promise<void> {
  const [repeat] = await tx`
    with numbered as (
      select line, ${tx(keys)}, min(line) over (partition by ${tx(keys)}) as first_line
      from ${tx(stage)}
    )
    select line, first_line, concat_ws(', ', ${tx(keys)}) as key
    from numbered
    where line > first_line
    order by line
    limit 1`;
  if (repeat) {
    throw new ImportError(file, repeat.line, keys.join(', '), `${excerpt(repeat.key)} repeats line ${repeat.first_line}`);
  }
}

/**
 * Rejects the file when lines sharing an order_id (the lines of one order, or of one refund) name two customers or
 * two days; names the first such line and the id's first line. Times within the day may differ (a till that
 * stamps each line); the order takes its earliest.
 */
export async function rejectDisagreeingLines(tx: Tx, stage: string, { what, date }: { what: string; date: string }, file: string): Promise<void> {
  const [differs] = await tx`
    with lines as (
      select line, order_id, customer_id, ${tx(date)}::date as day,
             first_value(line) over w as first_line, first_value(customer_id) over w as first_customer,
             first_value(${tx(date)}::date) over w as first_day
      from ${tx(stage)}
      window w as (partition by order_id order by line)
    )
    select line, first_line, order_id, customer_id <> first_customer as customer_differs,
           customer_id, first_customer, day::text, first_day::text
    from lines
    where customer_id <> first_customer or day <> first_day
    order by line
    limit 1`;
  if (differs) {
    const [column, value, first] = differs.customer_differs
      ? ['customer_id', differs.customer_id, differs.first_customer]
      : ['order_date', differs.day, differs.first_day];
    throw new ImportError(
      file,
      differs.line,
      column,
      `${excerpt(value)} differs from ${excerpt(first)} on line ${differs.first_line}, the first line of ${what} ` +
        `${excerpt(differs.order_id)}: the lines of one ${what} share its customer and day`,
    );
  }
}

/**
 * Rejects the file when an order (or refund) it holds is stored for another customer. An id names one order of
 * one customer: re-importing may update its date and lines, but moving it would silently take it out of one
 * customer's history and into another's. A shop that reuses numbers (a second store, a numbering reset) must
 * make them unique first.
 */
export async function rejectChangedCustomers(tx: Tx, stage: string, stored: { table: string; key: string; what: string }, file: string): Promise<void> {
  const [moved] = await tx`
    select s.line, s.order_id, s.customer_id, r.customer_id as stored_customer
    from ${tx(stage)} s
    join ${tx(stored.table)} r on r.${tx(stored.key)} = s.order_id
    where r.customer_id <> s.customer_id
    order by s.line
    limit 1`;
  if (moved) {
    throw new ImportError(
      file,
      moved.line,
      'customer_id',
      `${stored.what} ${excerpt(moved.order_id)} is already stored for customer ${excerpt(moved.stored_customer)}, not ` +
        `${excerpt(moved.customer_id)}: one ${stored.what} id names one ${stored.what} of one customer (where ids are reused, ` +
        `by another store or after a reset, make them unique, e.g. with a prefix; or re-import everything with --replace)`,
    );
  }
}

export interface Reference {
  stage: string;
  column: string;
  file: string;
  /** Where the referenced key may be: the staging table of the same import and the raw table. */
  targetStage: string | null;
  targetTable: string;
  targetColumn: string;
  describe: (key: string) => string;
}

/** Rejects the import when a row references a key found neither in the import nor already in the database. */
export async function rejectUnknownReferences(tx: Tx, ref: Reference): Promise<void> {
  // Two NOT EXISTS (rather than NOT (a OR b)) so PostgreSQL plans hashed anti-joins instead of a loop per row.
  const notInStage = ref.targetStage
    ? tx`and not exists (select from ${tx(ref.targetStage)} t where t.${tx(ref.targetColumn)} = s.${tx(ref.column)})`
    : tx``;
  // The count tells the user whether to fix one line or filter the file (an export cut at a date refunds purchases
  // made before it).
  const [orphan] = await tx`
    select s.line, s.${tx(ref.column)} as key, count(*) over ()::int as lines
    from ${tx(ref.stage)} s
    where not exists (select from ${tx(ref.targetTable)} r where r.${tx(ref.targetColumn)} = s.${tx(ref.column)})
      ${notInStage}
    order by s.line
    limit 1`;
  if (orphan) {
    const more = orphan.lines > 1 ? `; ${counted(orphan.lines - 1, 'more line')} like it` : '';
    const near = await keyDifferingInSpacesOrCase(tx, ref, orphan.key);
    const hint = near === undefined ? '' : `; ${excerpt(near)} differs from it only in spaces or case (ids are compared exactly)`;
    throw new ImportError(ref.file, orphan.line, ref.column, `${ref.describe(orphan.key)}${more}${hint}`);
  }
}

/**
 * A key of the import or the database equal to `key` but for surrounding spaces and case: ids are compared
 * exactly (docs/data.md), and an export that pads or re-cases one column makes exactly this mistake. Only
 * asked when the import is refused anyway, so a scan of the tables is fine.
 */
async function keyDifferingInSpacesOrCase(tx: Tx, ref: Reference, key: string): Promise<string | undefined> {
  for (const table of [ref.targetStage, ref.targetTable]) {
    if (!table) continue;
    const [row] = await tx<{ key: string }[]>`
      select t.${tx(ref.targetColumn)} as key from ${tx(table)} t
      where lower(btrim(t.${tx(ref.targetColumn)})) = lower(btrim(${key}))
      limit 1`;
    if (row) return row.key;
  }
  return undefined;
}

/**
 * Rows in raw.orders now. Counted before and after the merge in the import's transaction, the difference is
 * the orders the file added (the rest were stored already and are updated where they differ), whatever else
 * the merge does.
 */
export async function countOrders(tx: Tx): Promise<number> {
  const [row] = await tx<{ n: number }[]>`select count(*)::int as n from raw.orders`;
  return row!.n;
}
