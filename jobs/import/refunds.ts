// Refunds in a transactions file: a row with a negative amount is money given back to a customer
// (docs/data.md). It goes to raw.refunds, never to raw.orders: a refund counts as neither a purchase nor
// recency, it only lowers the customer's monetary value. Its id is the row's order_id; rows sharing one are the
// lines of one refund, summed.
import type postgres from 'postgres';
import { LARGEST_AMOUNT } from './fields.ts';
import { excerpt, ImportError } from './import-error.ts';
import { rejectDisagreeingLines, rejectUnknownReferences } from './staging.ts';

type Tx = postgres.TransactionSql<{}>;

/**
 * Moves the refund lines (a negative amount, `-0.00` included) from stage_transactions into stage_refunds (amount
 * given back >= 0), so stage_transactions holds the purchases only.
 */
export async function stageRefunds(tx: Tx): Promise<void> {
  await tx`
    create temp table stage_refunds on commit drop as
    select line, order_id, customer_id, ordered_at as refunded_at, -amount as amount
    from stage_transactions
    where refund`;
  await tx`delete from stage_transactions where refund`;
  await tx`analyze stage_refunds`;
}

/**
 * Rejects the file when the lines of one refund disagree on customer or day, add up to nothing or to more than
 * a refund can hold, or a refund names a customer with no purchase in the file and not in the database. (A
 * refund may carry the id of the order it refunds, so refund ids are only compared among refunds.)
 */
export async function checkRefunds(tx: Tx, file: string): Promise<void> {
  await rejectDisagreeingLines(tx, 'stage_refunds', { what: 'refund', date: 'refunded_at' }, file);
  const [wrong] = await tx`
    select min(line) as line, order_id, sum(amount)::text as total, count(*)::int as lines
    from stage_refunds
    group by order_id
    having sum(amount) > ${LARGEST_AMOUNT}::numeric or sum(amount) = 0
    order by 1
    limit 1`;
  if (wrong) {
    const given = wrong.lines > 1 ? `the lines of refund ${excerpt(wrong.order_id)} give back` : `refund ${excerpt(wrong.order_id)} gives back`;
    throw new ImportError(
      file,
      wrong.line,
      'amount',
      Number(wrong.total) === 0
        ? `${given} nothing (${wrong.total}); a refund is below 0`
        : `${given} ${wrong.total} in all, more than one refund can hold (${LARGEST_AMOUNT})`,
    );
  }
  await rejectUnknownReferences(tx, {
    stage: 'stage_refunds',
    column: 'customer_id',
    file,
    targetStage: 'stage_transactions',
    targetTable: 'raw.customers',
    targetColumn: 'customer_id',
    describe: (key) => `${excerpt(key)} is refunded but is not a customer (no purchase in this file, not in the database)`,
  });
}

/**
 * Upserts the staged refunds into raw.refunds, one per id (its lines summed); run after the customers are merged.
 * A stored refund of the same id is replaced: it is the same refund, exported again. Returns how many refunds the
 * file holds and how many of them were stored already.
 */
export async function mergeRefunds(tx: Tx): Promise<{ refunds: number; storedRefunds: number }> {
  const [{ stored }] = await tx<{ stored: number }[]>`
    select count(*)::int as stored from raw.refunds r where exists (select from stage_refunds s where s.order_id = r.refund_id)`;
  await tx`
    insert into raw.refunds (refund_id, customer_id, refunded_at, amount)
    -- The lines of one refund agree on customer and day (checkRefunds); it is dated at its earliest.
    select order_id, min(customer_id), min(refunded_at), sum(amount)
    from stage_refunds
    group by order_id
    order by 2, 1
    on conflict (refund_id) do update
      set customer_id = excluded.customer_id,
          refunded_at = excluded.refunded_at,
          amount = excluded.amount
      where (raw.refunds.customer_id, raw.refunds.refunded_at, raw.refunds.amount)
        is distinct from (excluded.customer_id, excluded.refunded_at, excluded.amount)`;
  const [{ refunds }] = await tx<{ refunds: number }[]>`select count(distinct order_id)::int as refunds from stage_refunds`;
  return { refunds, storedRefunds: stored };
}
