// The view a user is looking at (tab, filter, sort, page, open customer, and on the movement tab the two
// snapshot dates and the chosen matrix cell) lives in the URL query, so a view can be shared or bookmarked
// and the browser's back button steps through it. Parsing is forgiving: anything unknown falls back to the
// default instead of breaking the page.
import type { NOT_A_CUSTOMER, RfmFilterQuery } from './api.ts';
import { apiPaths } from './api.ts';

export type SortColumn = RfmFilterQuery['sort_by'];
export type SortOrder = RfmFilterQuery['order'];

// The API's sort keys (the contract's, checked here by type: a key it adds or drops fails to compile).
const sortColumnSet: Record<SortColumn, true> = { recency: true, frequency: true, monetary: true, rfm_score: true, expected_revenue: true };
export const sortColumns = Object.keys(sortColumnSet) as SortColumn[];

/** The contract's moved_from value for "not a customer yet" (a value import would pull TypeBox in). */
export const notACustomer: typeof NOT_A_CUSTOMER = '(none)';

/** Rows per table page; the API allows 1..1000, a page a person can scan is much smaller. */
export const pageSize = 25;

export type Tab = 'overview' | 'movement';

export interface ViewState {
  tab: Tab;
  /** Overview tab: the customer table's filter. Movement tab: the chosen cell's segment now (its column). */
  segment: string | null;
  sort: SortColumn;
  order: SortOrder;
  page: number;
  customer: string | null;
  /** Movement tab: snapshot dates (null: the API's default, the published refresh's snapshot and the one before it). */
  from: string | null;
  to: string | null;
  /** Movement tab: the chosen cell's segment at `from` (its row), or notACustomer. */
  movedFrom: string | null;
}

export const defaultViewState: ViewState = {
  tab: 'overview',
  segment: null,
  sort: 'monetary',
  order: 'desc',
  page: 1,
  customer: null,
  from: null,
  to: null,
  movedFrom: null,
};

const isDate = (text: string | null): text is string => text !== null && /^\d{4}-\d{2}-\d{2}$/.test(text);

export function parseViewState(search: string): ViewState {
  const query = new URLSearchParams(search);
  const sort = query.get('sort');
  const order = query.get('order');
  const page = Number(query.get('page'));
  const tab: Tab = query.get('tab') === 'movement' ? 'movement' : 'overview';
  const from = query.get('from');
  const to = query.get('to');
  return {
    tab,
    segment: query.get('segment') || null,
    sort: (sortColumns as readonly string[]).includes(sort ?? '') ? (sort as SortColumn) : defaultViewState.sort,
    order: order === 'asc' || order === 'desc' ? order : defaultViewState.order,
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    customer: query.get('customer') || null,
    from: tab === 'movement' && isDate(from) ? from : null,
    to: tab === 'movement' && isDate(to) ? to : null,
    movedFrom: (tab === 'movement' && query.get('moved_from')) || null,
  };
}

/** What the shop has, once the page has read it: the published refresh's segment names, the kept snapshots' dates. */
export interface KnownValues {
  segments?: readonly string[];
  snapshots?: readonly string[];
  /** The segments a movers list can start from: the rows of the matrix from the view's `from` snapshot. */
  movedFrom?: readonly string[];
}

/**
 * The view with every value the shop does not have (a segment no refresh scored, a date no snapshot was taken
 * on, a `from` not before `to`) back at its default, as parseViewState does for values of the wrong form; the
 * same object when all are known. A list not given is not checked.
 */
export function withKnownValues(state: ViewState, known: KnownValues): ViewState {
  const unknown = (value: string | null, list: readonly string[] | undefined) => value !== null && list !== undefined && !list.includes(value);
  const segment = unknown(state.segment, known.segments);
  const unknownFrom = unknown(state.from, known.snapshots);
  const unknownTo = unknown(state.to, known.snapshots);
  // Two known dates the wrong way round (from on or after to) compare nothing: both go back to the defaults
  // (judged once the snapshots are known, as an unknown date is dropped alone).
  const backwards = known.snapshots !== undefined && !unknownFrom && !unknownTo && state.from !== null && state.to !== null && state.from >= state.to;
  const from = backwards || unknownFrom;
  const to = backwards || unknownTo;
  const movedFrom = state.movedFrom !== notACustomer && unknown(state.movedFrom, known.movedFrom);
  if (!segment && !from && !to && !movedFrom) return state;
  const fixed: ViewState = { ...state, page: 1 };
  // The chosen movement cell is (segment at `from`, segment now, `from`): it goes when either segment or its
  // date does.
  if (segment || from || movedFrom) Object.assign(fixed, { segment: null, movedFrom: null });
  if (from) fixed.from = null;
  if (to) fixed.to = null;
  return fixed;
}

/** The URL query for a view; defaults are left out so the plain address stays clean. */
export function viewStateToSearch(state: ViewState): string {
  const query = new URLSearchParams();
  if (state.tab !== 'overview') query.set('tab', state.tab);
  if (state.tab === 'movement') {
    if (state.from) query.set('from', state.from);
    if (state.to) query.set('to', state.to);
    if (state.movedFrom) query.set('moved_from', state.movedFrom);
  }
  if (state.segment) query.set('segment', state.segment);
  if (state.sort !== defaultViewState.sort) query.set('sort', state.sort);
  if (state.order !== defaultViewState.order) query.set('order', state.order);
  if (state.page !== 1) query.set('page', String(state.page));
  if (state.customer) query.set('customer', state.customer);
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** The movement cell whose customers the movement tab lists, or null when none is chosen (or its date is not known). */
export function chosenCell(state: ViewState): { movedFrom: string; segment: string; since: string } | null {
  if (state.tab !== 'movement' || !state.movedFrom || !state.segment || !state.from) return null;
  return { movedFrom: state.movedFrom, segment: state.segment, since: state.from };
}

function filterQuery(state: ViewState): URLSearchParams {
  const query = new URLSearchParams();
  if (state.segment) query.set('segment', state.segment);
  const cell = chosenCell(state);
  if (cell) {
    query.set('moved_from', cell.movedFrom);
    query.set('since', cell.since);
  }
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

/** The movement matrix's request: only the dates the view names; the API chooses the others. */
export function movementPath(state: Pick<ViewState, 'from' | 'to'>): string {
  const query = new URLSearchParams();
  if (state.from) query.set('from', state.from);
  if (state.to) query.set('to', state.to);
  const text = query.toString();
  return text ? `${apiPaths.movement}?${text}` : apiPaths.movement;
}

export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}
