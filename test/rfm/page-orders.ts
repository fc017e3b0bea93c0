// Checks every page order the API offers (4 sorts x overall and each segment x both directions) against a
// plain ORDER BY of rfm_scores, ties broken by customer_id: the packed lists must say exactly that.
import type { Test } from 'tap';
import type { Sql } from '../../db/connection.ts';

const columnOf = { recency: 'recency_days', frequency: 'frequency', monetary: 'monetary', rfm_score: 'overall_rfm_score' } as const;

export async function checkPageOrders(t: Test, sql: Sql, label = ''): Promise<void> {
  const segments = [null, ...(await sql`select segment from salesdash.segment_summary where customers > 0`).map((r) => r.segment as string)];
  for (const [sortBy, column] of Object.entries(columnOf)) {
    for (const segment of segments) {
      for (const descending of [false, true]) {
        const expected = (await sql`
          select customer_id from salesdash.rfm_scores where ${segment}::text is null or segment = ${segment}
          order by ${sql(column)} ${descending ? sql`desc` : sql`asc`}, customer_id collate "C" ${descending ? sql`desc` : sql`asc`}`).map((r) => r.customer_id);
        const pages: string[] = [];
        for (let page = 1; pages.length < expected.length + 1; page++) {
          const rows = await sql`select customer_id from api.rfm_page(${segment}, ${sortBy}, ${descending}, ${page}, 37)`;
          if (rows.length === 0) break;
          pages.push(...rows.map((r) => r.customer_id as string));
        }
        t.same(pages, expected, `${label}${sortBy} ${descending ? 'desc' : 'asc'} ${segment ?? 'all'}`);
      }
    }
  }
}
