// The movement tab (loaded on first use, see Dashboard): who moved between segments from one RFM snapshot
// to a later one. Two date pickers, a from x to matrix of customers and revenue per cell (the diagonal is
// who stayed; up and down are told apart by colour, mark and words), and for a chosen cell its customers:
// the RFM table, filtered by the segment at `from` and the segment now, with paging and CSV export.
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { MovementCell, MovementResponse, RfmPage, SnapshotsResponse } from '../api.ts';
import { apiPaths } from '../api.ts';
import { directions, movementGrid } from '../movement.ts';
import { compactNumber, formatInteger, formatMoney, formatShare } from '../shape.ts';
import { useApi } from '../use-api.ts';
import type { KnownValues, ViewState } from '../view-state.ts';
import { chosenCell, movementPath, notACustomer, rfmPagePath, withKnownValues } from '../view-state.ts';
import { CustomerDetails } from './CustomerDetails.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { ExportButton } from './ExportButton.tsx';
import { RfmTable } from './RfmTable.tsx';

export interface MovementProps {
  view: ViewState;
  /** Reference date of the published refresh: the segments customers are in now. */
  currentAsOf: string | null | undefined;
  /** The current forecast's horizon, for the movers list's expected revenue header (undefined: none). */
  horizonDays?: number | null;
  onChange: (change: Partial<ViewState>) => void;
  /** Sets back to their defaults the view's values the shop does not have (see withKnownValues). */
  onCorrect: (known: KnownValues) => void;
  onOpenCustomer: (customerId: string) => void;
}

const rowName = (segment: string | null) => segment ?? 'New';
const columnName = (segment: string | null) => segment ?? 'Gone';

export function Movement({ view: asked, currentAsOf, horizonDays, onChange, onCorrect, onOpenCustomer }: MovementProps) {
  const [snapshots, retrySnapshots] = useApi<SnapshotsResponse>(apiPaths.snapshots);
  const list = snapshots.data?.snapshots ?? [];
  const dates = useMemo(() => snapshots.data && { snapshots: snapshots.data.snapshots.map((s) => s.reference_date) }, [snapshots.data]);
  // The matrix is asked for only once the snapshots are known: with the view's dates checked against them
  // (this render already shows the corrected view), and not at all before two exist (no 404 to expect).
  const datedView = dates ? withKnownValues(asked, dates) : asked;
  const [movement, retryMovement] = useApi<MovementResponse>(dates && list.length >= 2 ? movementPath(datedView) : null);
  // Once the matrix of the view's dates is in, its rows are the segments a movers list can start from.
  const rows = movement.data && movement.data.from === datedView.from ? movement.data : undefined;
  const known = useMemo(
    () => dates && { ...dates, ...(rows && { movedFrom: rows.cells.flatMap((c) => (c.from_segment === null ? [] : [c.from_segment])) }) },
    [dates, rows],
  );
  useEffect(() => {
    if (known) onCorrect(known);
  }, [known, asked]);
  const view = known ? withKnownValues(asked, known) : asked;
  // The dates shown: the view's, else the ones the API defaulted to, else (still loading) the two latest.
  const from = view.from ?? movement.data?.from ?? list[1]?.reference_date ?? '';
  const to = view.to ?? movement.data?.to ?? list[0]?.reference_date ?? '';
  // A 404 still means too few: a snapshot can be dropped between the two requests.
  const tooFew = (known !== undefined && list.length < 2) || (movement.status === 'error' && movement.error.status === 404);
  // A new pair of dates starts without a chosen cell; both dates go into the URL so the link keeps them.
  const pickDates = (dates: { from?: string; to?: string }) =>
    onChange({ from, to, ...dates, movedFrom: null, segment: null, page: 1, customer: null });

  return (
    <>
      <section class="panel movement" aria-labelledby="movement-title">
        <div class="panel-head">
          <h2 id="movement-title">Segment movement</h2>
          <label class="inline">
            From{' '}
            <select value={from} data-testid="movement-from" onChange={(e) => pickDates({ from: (e.currentTarget as HTMLSelectElement).value })}>
              {list.map((s) => (
                <option key={s.reference_date} value={s.reference_date} disabled={s.reference_date >= to}>
                  {snapshotLabel(s)}
                </option>
              ))}
            </select>
          </label>
          <label class="inline">
            to{' '}
            <select value={to} data-testid="movement-to" onChange={(e) => pickDates({ to: (e.currentTarget as HTMLSelectElement).value })}>
              {list.map((s) => (
                <option key={s.reference_date} value={s.reference_date} disabled={s.reference_date <= from}>
                  {snapshotLabel(s)}
                </option>
              ))}
            </select>
          </label>
        </div>
        {snapshots.status === 'error' && <ErrorBanner what="the snapshots" error={snapshots.error} onRetry={retrySnapshots} />}
        {tooFew ? (
          <p class="notice" role="status" data-testid="movement-too-few">
            Movement compares two RFM snapshots; {list.length === 1 ? 'there is one so far' : 'there are none yet'}. Every published refresh
            (<code>salesdash refresh</code>) keeps one; <code>salesdash history --monthly</code> computes month-end ones from the order history.
          </p>
        ) : (
          movement.status === 'error' && <ErrorBanner what="the movement" error={movement.error} onRetry={retryMovement} />
        )}
        {!movement.data && movement.status === 'loading' && !tooFew && snapshots.status !== 'error' && <p class="loading">Loading movement…</p>}
        {movement.data && !tooFew && (
          <MovementMatrix
            movement={movement.data}
            busy={movement.status === 'loading'}
            chosen={chosenCell(view)}
            onPick={(cell) => {
              const data = movement.data!;
              const movedFrom = cell.from_segment ?? notACustomer;
              const same = view.movedFrom === movedFrom && view.segment === cell.to_segment;
              // Clicking the chosen cell again closes its list, as the segment bars do with the filter.
              onChange({ from: data.from, to: data.to, movedFrom: same ? null : movedFrom, segment: same ? null : cell.to_segment, page: 1, customer: null });
            }}
          />
        )}
      </section>
      {/* The list waits for the matrix (its rows) and the segments (currentAsOf), so it never asks with a value the shop lacks. */}
      {chosenCell(view) && known?.movedFrom && currentAsOf !== undefined && (
        <div class={view.customer ? 'workbench with-details' : 'workbench'}>
          <Movers view={view} to={to} currentAsOf={currentAsOf} horizonDays={horizonDays} onChange={onChange} onOpenCustomer={onOpenCustomer} />
          {view.customer && <CustomerDetails customerId={view.customer} onClose={() => onChange({ customer: null })} />}
        </div>
      )}
    </>
  );
}

function snapshotLabel(s: SnapshotsResponse['snapshots'][number]): string {
  return `${s.reference_date} (${formatInteger(s.customers)} customers${s.source === 'history' ? ', from history' : ''})`;
}

interface MatrixProps {
  movement: MovementResponse;
  busy: boolean;
  chosen: ReturnType<typeof chosenCell>;
  onPick: (cell: MovementCell) => void;
}

function MovementMatrix({ movement, busy, chosen, onPick }: MatrixProps) {
  const grid = useMemo(() => movementGrid(movement), [movement]);
  if (movement.cells.length === 0) return <p class="empty">No customers in either snapshot.</p>;
  return (
    <>
      <p class="movement-caption">
        Customers per segment on <strong>{movement.from}</strong> (rows) and on <strong>{movement.to}</strong> (columns), with their net
        revenue up to {movement.from} → from then to {movement.to}. Pick a cell to list its customers.
      </p>
      <div class="table-scroll">
        <table class="movement-matrix" data-testid="movement-matrix" aria-busy={busy} data-loaded={busy ? undefined : `${movement.from}..${movement.to}`}>
          <thead>
            <tr>
              <th scope="col" class="corner">
                from ↓ to →
              </th>
              {grid.columns.map((to) => (
                <th key={columnName(to)} scope="col">
                  {columnName(to)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {grid.rows.map((from) => (
              <tr key={rowName(from)}>
                <th scope="row">
                  {rowName(from)}
                  <span class="move-total">{formatInteger(grid.rowTotals.get(from) ?? 0)}</span>
                </th>
                {grid.columns.map((to) => {
                  const cell = grid.cell(from, to);
                  if (!cell) return <td key={columnName(to)} class={from !== null && from === to ? 'move stayed empty-cell' : 'move empty-cell'} />;
                  const selected = chosen !== null && chosen.movedFrom === (from ?? notACustomer) && chosen.segment === to;
                  return (
                    <td key={columnName(to)} class={`move ${cell.direction}`} data-from={from ?? notACustomer} data-to={to ?? ''}>
                      <MovementFigures cell={cell} selected={selected} onPick={onPick} />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul class="movement-legend" aria-label="Legend">
        {(['up', 'down', 'stayed', 'new', 'lost'] as const).filter((d) => movement.cells.some((c) => c.direction === d)).map((d) => (
          <li key={d} class={`move ${d}`}>
            <span aria-hidden="true">{directions[d].mark}</span> {directions[d].text}
          </li>
        ))}
      </ul>
    </>
  );
}

function MovementFigures({ cell, selected, onPick }: { cell: MovementCell; selected: boolean; onPick: (cell: MovementCell) => void }) {
  const { mark, text } = directions[cell.direction];
  const figures = (
    <>
      <span class="move-mark" aria-hidden="true">
        {mark}
      </span>
      <span class="move-customers" data-testid="movement-customers">
        {formatInteger(cell.customers)}
      </span>
      <span class="move-revenue">
        {compactNumber(cell.revenue_before)} → {compactNumber(cell.revenue_after)}
      </span>
    </>
  );
  const label =
    `${rowName(cell.from_segment)} to ${columnName(cell.to_segment)}: ${formatInteger(cell.customers)} customers, ${text}` +
    `${cell.share_of_from == null ? '' : `, ${formatShare(cell.share_of_from)} of ${cell.from_segment}`}` +
    `; revenue ${formatMoney(cell.revenue_before)} before, ${formatMoney(cell.revenue_after)} after`;
  // Who is gone has no segment now, so the customer list (filtered by today's segment) cannot show them.
  if (cell.to_segment === null) {
    return (
      <span class="move-figures" title={label}>
        {figures}
      </span>
    );
  }
  return (
    <button type="button" class="move-figures" title={label} aria-label={label} aria-pressed={selected} onClick={() => onPick(cell)}>
      {figures}
    </button>
  );
}

interface MoversProps {
  view: ViewState;
  to: string;
  currentAsOf: string | null | undefined;
  horizonDays?: number | null;
  onChange: (change: Partial<ViewState>) => void;
  onOpenCustomer: (customerId: string) => void;
}

function Movers({ view, to, currentAsOf, horizonDays, onChange, onOpenCustomer }: MoversProps) {
  const cell = chosenCell(view)!;
  const path = rfmPagePath(view);
  const [page, retry] = useApi<RfmPage>(path);
  const total = page.data?.total ?? 0;
  const heading = useRef<HTMLHeadingElement>(null);
  // Bring the list into view (and keyboard focus to it) when a cell is picked.
  useEffect(() => heading.current?.focus(), [cell.movedFrom, cell.segment, cell.since]);
  const was = cell.movedFrom === notACustomer ? 'not yet customers' : cell.movedFrom;
  // The API filters by the segment in the published refresh; only when `to` is that refresh is this the cell
  // (currentAsOf is undefined while the header's figures load: say nothing until it is known).
  const exact = to === currentAsOf;

  return (
    <section class="panel movers" aria-labelledby="movers-title" data-testid="movers">
      <div class="panel-head">
        <h2 id="movers-title" tabIndex={-1} ref={heading}>
          {was} on {cell.since} → {cell.segment} now
        </h2>
        <ExportButton view={view} disabled={total === 0} />
      </div>
      {currentAsOf === undefined ? null : exact ? (
        <p class="movement-caption" data-testid="movers-note">
          Customers who were {was} on {cell.since} and are {cell.segment} in the published RFM (as of {currentAsOf}).
        </p>
      ) : (
        <p class="notice" role="status" data-testid="movers-note">
          The matrix ends on {to}, but this list shows where customers are now (RFM as of {currentAsOf ?? 'the last refresh'}): those who
          were {was} on {cell.since} and are {cell.segment} today, which may differ from the cell's customers.
        </p>
      )}
      <RfmTable
        view={view}
        path={path}
        page={page}
        onRetry={retry}
        onChange={onChange}
        onOpenCustomer={onOpenCustomer}
        empty={`Nobody who was ${was} on ${cell.since} is ${cell.segment} now.`}
        horizonDays={horizonDays}
      />
    </section>
  );
}
