// The view a user is looking at (filter, sort, page, open customer) lives in the URL query, so a view can be
// shared or bookmarked and the browser's back button steps through it. Parsing is forgiving: anything
// unknown falls back to the default instead of breaking the page.
import type { RfmFilterQuery } from './api.ts';

export type SortColumn = RfmFilterQuery['sort_by'];
export type SortOrder = RfmFilterQuery['order'];

// The API's sort keys (the contract's, checked here by type: a key it adds or drops fails to compile).
const sortColumnSet: Record<SortColumn, true> = { recency: true, frequency: true, monetary: true, rfm_score: true };
export const sortColumns = Object.keys(sortColumnSet) as SortColumn[];

/** Rows per table page; the API allows 1..1000, a page a person can scan is much smaller. */
export const pageSize = 25;

export interface ViewState {
  segment: string | null;
  sort: SortColumn;
  order: SortOrder;
  page: number;
  customer: string | null;
}

export const defaultViewState: ViewState = { segment: null, sort: 'monetary', order: 'desc', page: 1, customer: null };

export function parseViewState(search: string): ViewState {
  const query = new URLSearchParams(search);
  const sort = query.get('sort');
  const order = query.get('order');
  const page = Number(query.get('page'));
  return {
    segment: query.get('segment') || null,
    sort: (sortColumns as readonly string[]).includes(sort ?? '') ? (sort as SortColumn) : defaultViewState.sort,
    order: order === 'asc' || order === 'desc' ? order : defaultViewState.order,
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    customer: query.get('customer') || null,
  };
}

/** The URL query for a view; defaults are left out so the plain address stays clean. */
export function viewStateToSearch(state: ViewState): string {
  const query = new URLSearchParams();
  if (state.segment) query.set('segment', state.segment);
  if (state.sort !== defaultViewState.sort) query.set('sort', state.sort);
  if (state.order !== defaultViewState.order) query.set('order', state.order);
  if (state.page !== 1) query.set('page', String(state.page));
  if (state.customer) query.set('customer', state.customer);
  const text = query.toString();
  return text ? `?${text}` : '';
}

function filterQuery(state: ViewState): URLSearchParams {
  const query = new URLSearchParams();
  if (state.segment) query.set('segment', state.segment);
  query.set('sort_by', state.sort);
  query.set('order', state.order);
  return query;
}

/** The API request for the table page the view shows. */
export function rfmPagePath(state: ViewState): string {
  const query = filterQuery(state);
  query.set('page', String(state.page));
  query.set('limit', String(pageSize));
  return `/api/customers/rfm?${query}`;
}

/** The streamed CSV export of every row the current filter selects, in the table's order. */
export function exportPath(state: ViewState): string {
  return `/api/customers/rfm.csv?${filterQuery(state)}`;
}

export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}
