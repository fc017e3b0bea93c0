// Snapshots and segment movement: thin wrappers over salesdash.rfm_snapshot_dates and
// salesdash.segment_movement(), which hold the definitions (docs/movement.md).
import type { MovementCell, MovementResponse, RfmSnapshot } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';
import { wholeList } from '../plugins/deadline.ts';

/** Every kept snapshot, newest first, with its segment names (best first). */
export async function snapshots(sql: Sql): Promise<(RfmSnapshot & { segments: string[] })[]> {
  return sql<(RfmSnapshot & { segments: string[] })[]>`
    select to_char(reference_date, 'YYYY-MM-DD') as reference_date, source, customers, published, segments
    from salesdash.rfm_snapshot_dates
    order by reference_date desc`;
}

/** The pair of snapshots to compare (a date left out chosen by salesdash.movement_dates) with their segment
 * names; a date's segments are null when it is no kept snapshot, from is null when no snapshot precedes to, to
 * is null when none is kept. */
export async function movementDates(sql: Sql, from: string | undefined, to: string | undefined) {
  const [row] = await sql<{ from: string | null; to: string | null; from_segments: string[] | null; to_segments: string[] | null }[]>`
    select to_char(d.from_date, 'YYYY-MM-DD') as "from", to_char(d.to_date, 'YYYY-MM-DD') as "to",
           f.segments as from_segments, t.segments as to_segments
    from salesdash.movement_dates(${from ?? null}::date, ${to ?? null}::date) d
    left join salesdash.rfm_snapshot_dates f on f.reference_date = d.from_date
    left join salesdash.rfm_snapshot_dates t on t.reference_date = d.to_date`;
  return row!;
}

/** The movement matrix between two kept snapshots (the caller checked both dates exist). It reads every
 * customer of both: a whole-list query (seconds at ten million customers). */
export async function segmentMovement(sql: Sql, from: string, to: string): Promise<MovementCell[]> {
  return wholeList(sql, (tx) => tx<MovementCell[]>`
    select from_segment, to_segment, direction, customers::int, share_of_from,
           revenue_before::float8, revenue_after::float8
    from salesdash.segment_movement(${from}::date, ${to}::date)`);
}

/** The segments of both snapshots, best first: the later snapshot's order, then names only the earlier had. */
export function movementSegments(from: string[], to: string[]): MovementResponse['segments'] {
  return [...to, ...from.filter((name) => !to.includes(name))];
}
