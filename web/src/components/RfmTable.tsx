// The RFM customer table with sortable headers and paging, shared by the Customers panel and the movement
// tab's movers list. The parent fetches the page (it also needs the total, for its export button); rows open
// the customer's details (click, or Enter when focused). Expected revenue is the current model's forecast
// for the person over its horizon; an em dash marks a person no model has scored (never a 0).
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { RfmPage } from '../api.ts';
import { formatExpectedMoney, formatInteger, formatMoney } from '../shape.ts';
import type { Remote } from '../use-api.ts';
import type { SortColumn, ViewState } from '../view-state.ts';
import { pageCount, pageSize } from '../view-state.ts';
import { ErrorBanner } from './ErrorBanner.tsx';

interface Props {
  view: ViewState;
  /** The API path `page` answers; the browser test waits for it on data-loaded-path. */
  path: string;
  page: Remote<RfmPage>;
  onRetry: () => void;
  onChange: (change: Partial<ViewState>) => void;
  onOpenCustomer: (customerId: string) => void;
  /** Shown when the filter selects nobody. */
  empty: ComponentChildren;
  /** The forecast's horizon, named in the expected revenue header when known. */
  horizonDays?: number | null;
}

const columns: { key: SortColumn | 'customer_id' | 'segment'; title: string; numeric: boolean }[] = [
  { key: 'customer_id', title: 'Customer', numeric: false },
  { key: 'segment', title: 'Segment', numeric: false },
  { key: 'recency', title: 'Recency (days)', numeric: true },
  { key: 'frequency', title: 'Orders', numeric: true },
  { key: 'monetary', title: 'Spent', numeric: true },
  { key: 'rfm_score', title: 'RFM score', numeric: true },
  { key: 'expected_revenue', title: 'Expected revenue', numeric: true },
];

export function RfmTable({ view, path, page, onRetry, onChange, onOpenCustomer, empty, horizonDays }: Props) {
  const rows = page.data?.data ?? [];
  const total = page.data?.total ?? 0;
  const pages = pageCount(total);
  const sortBy = (column: SortColumn) =>
    onChange(column === view.sort ? { order: view.order === 'desc' ? 'asc' : 'desc', page: 1 } : { sort: column, order: 'desc', page: 1 });
  const first = (view.page - 1) * pageSize + 1;
  // A page past the end (a bookmarked link after a refresh shrank the list) moves to the last page.
  const pastTheEnd = page.status === 'ok' && total > 0 && view.page > pages;
  useEffect(() => {
    if (pastTheEnd) onChange({ page: pages });
  }, [pastTheEnd, pages]);

  return (
    <>
      {page.status === 'error' && <ErrorBanner what="the customer table" error={page.error} onRetry={onRetry} />}
      <div class="table-scroll">
        <table class="rfm" data-testid="rfm-table" aria-busy={page.status === 'loading'} data-loaded-path={page.status === 'ok' ? path : undefined}>
          <thead>
            <tr>
              {columns.map((c) => {
                const sortable = c.key !== 'customer_id' && c.key !== 'segment';
                const active = view.sort === c.key;
                return (
                  <th
                    key={c.key}
                    class={c.numeric ? 'num' : undefined}
                    aria-sort={active ? (view.order === 'asc' ? 'ascending' : 'descending') : undefined}
                    scope="col"
                  >
                    {sortable ? (
                      <button type="button" class="sort" data-sort={c.key} onClick={() => sortBy(c.key as SortColumn)}>
                        {c.title}
                        <span aria-hidden="true">{active ? (view.order === 'asc' ? '▲' : '▼') : ''}</span>
                        {/* On a line of its own: the column stays as narrow as its figures. */}
                        {c.key === 'expected_revenue' && horizonDays != null && <span class="unit">next {horizonDays} days</span>}
                      </button>
                    ) : (
                      c.title
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr
                key={row.customer_id}
                tabIndex={0}
                class={row.customer_id === view.customer ? 'selected' : undefined}
                data-customer-id={row.customer_id}
                onClick={() => onOpenCustomer(row.customer_id)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') onOpenCustomer(row.customer_id);
                }}
              >
                <td class="id" title={row.customer_id}>
                  {row.customer_id}
                </td>
                <td>{row.segment}</td>
                <td class="num">{formatInteger(row.recency)}</td>
                <td class="num">{formatInteger(row.frequency)}</td>
                <td class="num">{formatMoney(row.monetary)}</td>
                <td class="num">{row.rfm_score}</td>
                <td class="num" title={row.expected_revenue == null ? 'not scored by a model yet' : undefined}>
                  {formatExpectedMoney(row.expected_revenue)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.status === 'loading' && rows.length === 0 && <p class="loading">Loading customers…</p>}
      {page.status === 'ok' && total === 0 && <p class="empty">{empty}</p>}
      <nav class="pager" aria-label="Table pages">
        <button type="button" disabled={view.page <= 1} onClick={() => onChange({ page: 1 })}>
          First
        </button>
        <button type="button" disabled={view.page <= 1} onClick={() => onChange({ page: view.page - 1 })} data-testid="page-previous">
          Previous
        </button>
        <span data-testid="page-status">
          {total > 0 && rows.length > 0
            ? `${formatInteger(first)}–${formatInteger(Math.min(first + rows.length - 1, total))} of ${formatInteger(total)} · page ${formatInteger(view.page)} of ${formatInteger(pages)}`
            : `page ${view.page}`}
        </span>
        <button type="button" disabled={view.page >= pages} onClick={() => onChange({ page: view.page + 1 })} data-testid="page-next">
          Next
        </button>
        <button type="button" disabled={view.page >= pages} onClick={() => onChange({ page: pages })}>
          Last
        </button>
      </nav>
    </>
  );
}
