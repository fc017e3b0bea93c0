// Month-end snapshots computed from the order history (salesdash.take_rfm_snapshot), one month per
// transaction, so progress shows and a stopped run keeps the months it finished. The scoring lives in SQL.
import type { Sql } from '../../db/connection.ts';
import { assertShopNotEmptiedSince, shopEmptiedCount } from '../import/shop-source.ts';

export interface HistoryMonth {
  reference_date: string;
  /** 'computed', or 'kept (a published refresh's)' when a refresh already kept that date. */
  outcome: string;
  customers?: number;
  seconds: number;
}

export async function monthlyHistory(
  sql: Sql,
  fromMonth: string | null,
  onMonth: (done: number, total: number, month: HistoryMonth) => void = () => {},
): Promise<HistoryMonth[]> {
  const shopEmptied = await shopEmptiedCount(sql);
  const ends = await sql<{ d: string }[]>`
    select to_char(d, 'YYYY-MM-DD') as d from salesdash.rfm_history_month_ends(${fromMonth}::date) as d order by d`;
  const done: HistoryMonth[] = [];
  for (const { d } of ends) {
    const row = await sql.begin(async (tx) => {
      await assertShopNotEmptiedSince(tx, shopEmptied, 'history');
      const [taken] = await tx<{ result: HistoryMonth }[]>`select salesdash.take_rfm_snapshot(${d}::date) as result`;
      return taken;
    });
    done.push({ ...row!.result, reference_date: d });
    onMonth(done.length, ends.length, done[done.length - 1]!);
  }
  return done;
}

/** Whether the shop has any counted purchase (after rfm_history_month_ends brought the cache up to date). */
export async function hasCountedOrders(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ any: boolean }[]>`select exists (select from salesdash_internal.int_counted_orders_cache) as any`;
  return row!.any;
}
