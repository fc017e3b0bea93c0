// A row's amount is checked alone (fields.ts); these checks are on the sums a refresh computes from them, which
// must fit its columns: a customer's monetary value is numeric(14, 2), a segment's or a month's revenue
// numeric(16, 2). Run after the merge, in the import's transaction, so a load after which every refresh would
// fail with "numeric field overflow" is refused and changes nothing.
import type postgres from 'postgres';
import { excerpt, ImportError } from './import-error.ts';

type Tx = postgres.TransactionSql<{}>;

/** The most a customer's purchases may total: numeric(14, 2). */
export const LARGEST_CUSTOMER_TOTAL = '999999999999.99';
/** The most the shop's purchases (or its refunds) may total: numeric(16, 2), a segment's or a month's revenue. */
export const LARGEST_SHOP_TOTAL = '99999999999999.99';

/** `1234567.5` -> `1,234,567.50`. */
function money(amount: string): string {
  const [whole, cents = ''] = amount.split('.');
  return `${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}.${cents.padEnd(2, '0')}`;
}

/**
 * Rejects the import (naming `file`) when, with its rows merged, a person's purchases or the shop's purchases or
 * refunds total more than those columns hold. Every stored order counts, whatever its status: a bound on what
 * a refresh counts (a canceled order's items may count once a newer export delivers it).
 */
export async function rejectTotalsTooLarge(tx: Tx, file: string): Promise<void> {
  // One pass over the items (the largest price plus the largest freight bounds the largest item). No person can
  // reach the limit while all items times that stay below it (any shop with ordinary prices), which spares the
  // sum per person. Aggregating price and freight apart is a third faster than aggregating their sum.
  const [shop] = await tx<{ purchases: string; refunds: string; purchases_over: boolean; refunds_over: boolean; per_person: boolean }[]>`
    select purchases::text, refunds::text, per_person,
           purchases > ${LARGEST_SHOP_TOTAL}::numeric as purchases_over, refunds > ${LARGEST_SHOP_TOTAL}::numeric as refunds_over
    from (select coalesce(sum(price) + sum(freight_value), 0) as purchases,
                 (select coalesce(sum(amount), 0) from raw.refunds) as refunds,
                 coalesce(count(*) * (max(price) + max(freight_value)) > ${LARGEST_CUSTOMER_TOTAL}::numeric, false) as per_person
          from raw.order_items) totals`;
  const shopOver = (what: string, total: string) =>
    new ImportError(
      file,
      null,
      null,
      `the shop's ${what} would total ${money(total)}, more than ${money(LARGEST_SHOP_TOTAL)} (the most a segment's or a month's revenue can hold)`,
    );
  if (shop!.purchases_over) throw shopOver('purchases', shop!.purchases);
  if (shop!.refunds_over) throw shopOver('refunds', shop!.refunds);
  if (!shop!.per_person) return;
  const [person] = await tx<{ customer: string; total: string }[]>`
    select c.customer_unique_id as customer, sum(i.price + i.freight_value)::text as total
    from raw.order_items i
    join raw.orders o using (order_id)
    join raw.customers c on c.customer_id = o.customer_id
    group by c.customer_unique_id
    having sum(i.price + i.freight_value) > ${LARGEST_CUSTOMER_TOTAL}::numeric
    order by sum(i.price + i.freight_value) desc, c.customer_unique_id
    limit 1`;
  if (person) {
    throw new ImportError(
      file,
      null,
      null,
      `customer ${excerpt(person.customer)}'s purchases would total ${money(person.total)}, more than ${money(LARGEST_CUSTOMER_TOTAL)} (the most a customer's monetary value can hold)`,
    );
  }
}
