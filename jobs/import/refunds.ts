// Refunds in a transactions file: a row with a negative amount is money given back to a customer
// (docs/data.md). It goes to raw.refunds, never to raw.orders: a refund counts as neither a purchase nor
// recency, it only lowers the customer's monetary value. Its id is the row's order_id.
import type postgres from 'postgres';
import { excerpt } from './import-error.ts';
import { rejectRepeatedKeys, rejectUnknownReferences } from './staging.ts';

type Tx = postgres.TransactionSql<{}>;

/**
 * Moves the rows with a negative amount from stage_transactions into stage_refunds (amount given back > 0), so
 * stage_transactions holds the purchases only. Returns how many refunds the file holds.
 */
export async function stageRefunds(tx: Tx): Promise<number> {
  await tx`
    create temp table stage_refunds on commit drop as
    select line, order_id, customer_id, ordered_at as refunded_at, -amount as amount
    from stage_transactions
    where amount < 0`;
  const moved = await tx`delete from stage_transactions where amount < 0`;
  await tx`analyze stage_refunds`;
  return moved.count;
}

/**
 * Rejects the file when an id repeats among its refunds (a refund may carry the id of the order it refunds, so
 * only refunds are compared), or a refund names a customer with no purchase in the file and not in the database.
 */
export async function checkRefunds(tx: Tx, file: string): Promise<void> {
  await rejectRepeatedKeys(tx, 'stage_refunds', ['order_id'], file);
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

/** Upserts the staged refunds into raw.refunds, keyed by refund_id; run after the customers are merged. */
export async function mergeRefunds(tx: Tx): Promise<void> {
  await tx`
    insert into raw.refunds (refund_id, customer_id, refunded_at, amount)
    select order_id, customer_id, refunded_at, amount
    from stage_refunds
    order by customer_id, order_id
    on conflict (refund_id) do update
      set customer_id = excluded.customer_id,
          refunded_at = excluded.refunded_at,
          amount = excluded.amount
      where (raw.refunds.customer_id, raw.refunds.refunded_at, raw.refunds.amount)
        is distinct from (excluded.customer_id, excluded.refunded_at, excluded.amount)`;
}
