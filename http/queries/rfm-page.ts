// One page of the RFM list. api.rfm_page() pages in O(limit) even for deep pages (by expected_revenue once
// the current model's forecast is written, see docs/api.md) and takes the sort column as data (checked against
// its own allow-list), so no SQL is ever built from user text.
import type { RfmPage, RfmRow } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';
import type { SortKey } from '../plugins/errors.ts';

export interface RfmFilters {
  /** null: every segment. */
  segment: string | null;
  sortBy: SortKey;
  descending: boolean;
  /** Only customers who were in segment `movedFrom` ('(none)': not yet customers) in the snapshot of `since`. */
  movement?: { movedFrom: string; since: string } | null;
}

export async function rfmPage(
  sql: Sql,
  filters: RfmFilters & { page: number; limit: number },
): Promise<Pick<RfmPage, 'data' | 'total'>> {
  if (filters.movement) return moversPage(sql, { ...filters, movement: filters.movement });
  // Page and total in one statement, hence one snapshot (rfm_page is STABLE and sees the caller's): a
  // refresh publishing in between cannot make them disagree, and it costs one round trip.
  const [row] = await sql<{ total: number; data: RfmRow[] }[]>`
    select
      (select coalesce(sum(customers), 0)::int
       from salesdash.segment_summary
       where ${filters.segment}::text is null or segment = ${filters.segment}::text) as total,
      coalesce((
        select json_agg(json_build_object(
                 'customer_id', p.customer_id, 'recency', p.recency, 'frequency', p.frequency,
                 'monetary', p.monetary, 'segment', p.segment, 'rfm_score', p.rfm_score,
                 'expected_revenue', p.expected_revenue)
               order by p.position)
        from api.rfm_page(${filters.segment}::text, ${filters.sortBy}::text, ${filters.descending}::boolean,
                          ${filters.page}::int, ${filters.limit}::int)
             with ordinality as p(customer_id, recency, frequency, monetary, segment, rfm_score, expected_revenue, position)), '[]') as data`;
  return { data: row?.data ?? [], total: row?.total ?? 0 };
}

/**
 * A page of the movers list (api.rfm_movers): the filtered list is computed whole, then cut, since who moved
 * depends on two snapshots and cannot be packed in advance for every pair.
 */
async function moversPage(
  sql: Sql,
  filters: RfmFilters & { movement: NonNullable<RfmFilters['movement']>; page: number; limit: number },
): Promise<Pick<RfmPage, 'data' | 'total'>> {
  const [row] = await sql<{ total: number; data: RfmRow[] }[]>`
    with movers as materialized (
      select * from api.rfm_movers(${filters.segment}::text, ${filters.movement.movedFrom}::text,
                                   ${filters.movement.since}::date, ${filters.sortBy}::text, ${filters.descending}::boolean)
                    with ordinality as m(customer_id, recency, frequency, monetary, segment, rfm_score, expected_revenue, position)
    )
    select
      (select count(*)::int from movers) as total,
      coalesce((
        select json_agg(json_build_object(
                 'customer_id', p.customer_id, 'recency', p.recency, 'frequency', p.frequency,
                 'monetary', p.monetary, 'segment', p.segment, 'rfm_score', p.rfm_score,
                 'expected_revenue', p.expected_revenue)
               order by p.position)
        from (select * from movers
              where position > (${filters.page}::bigint - 1) * ${filters.limit}::int
              order by position limit ${filters.limit}::int) p), '[]') as data`;
  return { data: row?.data ?? [], total: row?.total ?? 0 };
}

/** Movers lists up to this many rows are kept whole by the route (a few MB each); longer ones are paged in SQL. */
export const MOVERS_KEPT = 50_000;

/** The whole movers list in order, or null when it is longer than MOVERS_KEPT. */
export async function moversList(sql: Sql, filters: RfmFilters): Promise<RfmRow[] | null> {
  if (!filters.movement) throw new Error('moversList needs a movement filter');
  const rows = await sql<RfmRow[]>`
    select customer_id, recency, frequency, monetary, segment, rfm_score, expected_revenue
    from api.rfm_movers(${filters.segment}::text, ${filters.movement.movedFrom}::text, ${filters.movement.since}::date,
                        ${filters.sortBy}::text, ${filters.descending}::boolean)
    limit ${MOVERS_KEPT + 1}`;
  return rows.length > MOVERS_KEPT ? null : rows.map((row) => ({ ...row }));
}
