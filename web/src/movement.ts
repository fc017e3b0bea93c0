// Pure shaping for the movement tab: the API's list of (from segment, to segment) cells into a matrix of
// rows (segment at `from`, then "new") and columns (segment at `to`, then "gone"), and the words that say
// what each direction means, so the matrix never tells up from down by colour alone.
import type { MovementCell, MovementResponse } from './api.ts';

export type Direction = MovementCell['direction'];

export interface MovementGrid {
  /** Segments at `from`, best first; null is the "new" row (not a customer yet at `from`). */
  rows: (string | null)[];
  /** Segments at `to`, best first; null is the "gone" column (no counted purchase any more at `to`). */
  columns: (string | null)[];
  cell: (from: string | null, to: string | null) => MovementCell | undefined;
  /** Customers per row: the row's segment at `from` (or the new ones). */
  rowTotals: Map<string | null, number>;
}

export function movementGrid(response: MovementResponse): MovementGrid {
  // The API lists every segment; one it forgot still gets a row and column rather than vanishing.
  const segments = [...response.segments];
  for (const c of response.cells) {
    for (const s of [c.from_segment, c.to_segment]) if (s !== null && !segments.includes(s)) segments.push(s);
  }
  const byPair = new Map<string, MovementCell>();
  const rowTotals = new Map<string | null, number>();
  for (const c of response.cells) {
    byPair.set(JSON.stringify([c.from_segment, c.to_segment]), c);
    rowTotals.set(c.from_segment, (rowTotals.get(c.from_segment) ?? 0) + c.customers);
  }
  const anyNew = response.cells.some((c) => c.from_segment === null);
  const anyGone = response.cells.some((c) => c.to_segment === null);
  return {
    rows: anyNew ? [...segments, null] : segments,
    columns: anyGone ? [...segments, null] : segments,
    cell: (from, to) => byPair.get(JSON.stringify([from, to])),
    rowTotals,
  };
}

/** A mark and words per direction: the legend, and each cell's accessible name. */
export const directions: Record<Direction, { mark: string; text: string }> = {
  up: { mark: '▲', text: 'moved up (to a better segment)' },
  down: { mark: '▼', text: 'moved down' },
  stayed: { mark: '=', text: 'stayed' },
  new: { mark: '+', text: 'new customers' },
  lost: { mark: '×', text: 'gone (no counted purchase any more)' },
};
