// Pages of the RFM list. The plain list is paged from lists the caller keeps: api.rfm_page_orders() sorts
// every list of a sort key once per generation (pageOrders), and a page is then one lookup of the keys cut
// out of the kept list (rfmPageFrom), however deep. The sort column travels as data (checked against the
// database's own allow-list), so no SQL is ever built from user text.
import type { RfmPage, RfmRow } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';
import { wholeList } from '../plugins/deadline.ts';
import type { SortKey } from '../plugins/errors.ts';
import type { DataVersion } from './data-version.ts';

export interface RfmFilters {
  /** null: every segment. */
  segment: string | null;
  sortBy: SortKey;
  descending: boolean;
  /** Only customers who were in segment `movedFrom` ('(none)': not yet customers) in the snapshot of `since`. */
  movement?: { movedFrom: string; since: string } | null;
}

/** Every list of one sort key of the published generation, ascending: person_keys packed 4 bytes each. */
export interface PageOrders {
  /** null: nothing published yet. */
  generation: number | null;
  /** By segment; '' is every customer. A segment of the generation without customers has an empty list. */
  lists: Map<string, Buffer>;
}

const KEY_BYTES = 4;

/** What a sort key's lists depend on: the published refresh, and for expected_revenue the current model too. */
export function listsVersion(version: DataVersion, sortBy: SortKey): string {
  return sortBy === 'expected_revenue' ? `${version.refreshed}-${version.modelRun}` : version.refreshed;
}

export async function pageOrders(sql: Sql, sortBy: SortKey): Promise<PageOrders> {
  const rows = await wholeList(sql, (tx) => tx<{ generation: string; segment: string; person_keys: Buffer }[]>`
    select generation, segment, person_keys from api.rfm_page_orders(${sortBy}::text)`);
  return {
    generation: rows.length ? Number(rows[0]!.generation) : null,
    lists: new Map(rows.map((r) => [r.segment, r.person_keys])),
  };
}

/** Raised by rfmPageFrom when a refresh has dropped the generation the kept lists belong to. */
export class GenerationGone extends Error {
  override name = 'GenerationGone';
}

/** One page cut from kept lists; total is the list's length, so page and total always agree. */
export async function rfmPageFrom(
  sql: Sql,
  orders: PageOrders,
  filters: Omit<RfmFilters, 'movement'> & { page: number; limit: number },
): Promise<Pick<RfmPage, 'data' | 'total'>> {
  const list = orders.lists.get(filters.segment ?? '');
  if (orders.generation === null || !list) return { data: [], total: 0 };
  const total = list.length / KEY_BYTES;
  // Positions [first, last) of the page in the ascending list; a descending page reads it from the end.
  const skipped = (filters.page - 1) * filters.limit;
  const [first, last] = filters.descending
    ? [Math.max(total - skipped - filters.limit, 0), Math.max(total - skipped, 0)]
    : [Math.min(skipped, total), Math.min(skipped + filters.limit, total)];
  if (first >= last) return { data: [], total };
  try {
    const data = await sql<RfmRow[]>`
      select customer_id, recency, frequency, monetary, segment, rfm_score, expected_revenue
      from api.rfm_page_rows(${orders.generation}::bigint, ${list.subarray(first * KEY_BYTES, last * KEY_BYTES)}::bytea,
                             ${filters.descending}::boolean)`;
    return { data: data.map((row) => ({ ...row })), total };
  } catch (error) {
    if ((error as { code?: string }).code === '55000' || (error as { code?: string }).code === '42P01') {
      throw new GenerationGone(`generation ${orders.generation} is no longer kept`);
    }
    throw error;
  }
}

/** What a movers list is computed from: its order is ascending, a descending page reads it from the end. */
export type MoverList = Pick<RfmFilters, 'segment' | 'sortBy'> & { movement: NonNullable<RfmFilters['movement']> };

/**
 * A movers list (api.rfm_mover_keys), packed as pageOrders packs a sort key's lists and kept under the
 * segment it was filtered to, so rfmPageFrom cuts its pages as from any kept list. Who moved depends on two
 * snapshots, so it is computed when first asked, not in advance.
 */
export async function moverKeys(sql: Sql, { segment, sortBy, movement }: MoverList): Promise<PageOrders> {
  const rows = await wholeList(sql, (tx) => tx<{ generation: string; person_keys: Buffer }[]>`
    select generation, person_keys
    from api.rfm_mover_keys(${segment}::text, ${movement.movedFrom}::text, ${movement.since}::date, ${sortBy}::text)`);
  const [row] = rows;
  return row ? { generation: Number(row.generation), lists: new Map([[segment ?? '', row.person_keys]]) } : { generation: null, lists: new Map() };
}

/** One page with nothing kept: from freshly sorted lists, or a freshly computed movers list (the route keeps both). */
export async function rfmPage(
  sql: Sql,
  filters: RfmFilters & { page: number; limit: number },
): Promise<Pick<RfmPage, 'data' | 'total'>> {
  const { movement } = filters;
  return rfmPageFrom(sql, movement ? await moverKeys(sql, { ...filters, movement }) : await pageOrders(sql, filters.sortBy), filters);
}
