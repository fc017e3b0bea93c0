// Checks every list the API pages through (5 sorts x overall and each segment x both directions), as the
// server pages them (lists from api.rfm_page_orders, pages cut by rfmPageFrom) and as api.rfm_page does in
// SQL, against a plain ORDER BY of rfm_scores and the predictions, ties broken by customer_id.
import type { Test } from 'tap';
import type { Sql } from '../../db/connection.ts';
import { SORT_KEYS } from '../../http/plugins/errors.ts';
import { pageOrders, rfmPageFrom } from '../../http/queries/rfm-page.ts';

const orderOf = (sql: Sql, sortBy: (typeof SORT_KEYS)[number]) =>
  ({
    recency: sql`s.recency_days`,
    frequency: sql`s.frequency`,
    monetary: sql`s.monetary`,
    rfm_score: sql`s.overall_rfm_score`,
    expected_revenue: sql`coalesce(p.expected_revenue, '-Infinity')`,
  })[sortBy];

export async function checkPageOrders(t: Test, sql: Sql, label = ''): Promise<void> {
  const segments = [null, ...(await sql`select segment from salesdash.segment_summary where customers > 0`).map((r) => r.segment as string)];
  for (const sortBy of SORT_KEYS) {
    const orders = await pageOrders(sql, sortBy);
    for (const segment of segments) {
      for (const descending of [false, true]) {
        const direction = descending ? sql`desc` : sql`asc`;
        const expected = (await sql`
          select s.customer_id from salesdash.rfm_scores s
          left join salesdash.predictions p using (customer_id)
          where ${segment}::text is null or s.segment = ${segment}
          order by ${orderOf(sql, sortBy)} ${direction}, s.customer_id collate "C" ${direction}`).map((r) => r.customer_id);
        const served: string[] = [];
        const inSql: string[] = [];
        for (let page = 1; served.length <= expected.length; page++) {
          const { data, total } = await rfmPageFrom(sql, orders, { segment, sortBy, descending, page, limit: 37 });
          t.equal(total, expected.length, `${label}${sortBy} ${segment ?? 'all'}: total`);
          const rows = await sql`select customer_id from api.rfm_page(${segment}, ${sortBy}, ${descending}, ${page}, 37)`;
          inSql.push(...rows.map((r) => r.customer_id as string));
          if (data.length === 0) break;
          served.push(...data.map((r) => r.customer_id));
        }
        t.same(served, expected, `${label}${sortBy} ${descending ? 'desc' : 'asc'} ${segment ?? 'all'}, as the API pages`);
        t.same(inSql, expected, `${label}${sortBy} ${descending ? 'desc' : 'asc'} ${segment ?? 'all'}, api.rfm_page`);
      }
    }
  }
}
