// One page of the RFM list. salesdash.rfm_page() does the paging in O(limit) even for deep pages and takes
// the sort column as data (checked against its own allow-list), so no SQL is ever built from user text.
import type { Sql } from '../db/connection.ts';
import type { SortKey } from '../http/errors.ts';

export interface RfmFilters {
  /** null: every segment. */
  segment: string | null;
  sortBy: SortKey;
  descending: boolean;
}

export interface RfmRow {
  customer_id: string;
  recency: number;
  frequency: number;
  monetary: number;
  segment: string;
  rfm_score: number;
}

export async function rfmPage(
  sql: Sql,
  filters: RfmFilters & { page: number; limit: number },
): Promise<{ data: RfmRow[]; total: number }> {
  // Page and total from one snapshot, so a refresh between the two cannot make them disagree.
  const [data, [count]] = await sql.begin('isolation level repeatable read read only', (tx) => [
    tx<RfmRow[]>`
      select customer_id, recency::int, frequency::int, monetary::float8, segment, rfm_score::int
      from salesdash.rfm_page(${filters.segment}, ${filters.sortBy}, ${filters.descending}, ${filters.page}, ${filters.limit})`,
    tx<{ total: number }[]>`
      select coalesce(sum(customers), 0)::int as total
      from salesdash.segment_summary
      where ${filters.segment}::text is null or segment = ${filters.segment}::text`,
  ]);
  return { data: [...data], total: count?.total ?? 0 };
}
