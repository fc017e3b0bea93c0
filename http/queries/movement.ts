// Snapshots and segment movement: thin wrappers over salesdash.rfm_snapshot_dates and
// salesdash.segment_movement(), which hold the definitions (docs/movement.md).
import type { MovementCell, MovementResponse, RfmSnapshot } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';

/** Every kept snapshot, newest first, with its segment names (best first). */
export async function snapshots(sql: Sql): Promise<(RfmSnapshot & { segments: string[] })[]> {
  return sql<(RfmSnapshot & { segments: string[] })[]>`
    select to_char(reference_date, 'YYYY-MM-DD') as reference_date, source, customers, published, segments
    from salesdash.rfm_snapshot_dates
    order by reference_date desc`;
}

/** The movement matrix between two kept snapshots (the caller checked both dates exist). */
export async function segmentMovement(sql: Sql, from: string, to: string): Promise<MovementCell[]> {
  return sql<MovementCell[]>`
    select from_segment, to_segment, direction, customers::int, share_of_from,
           revenue_before::float8, revenue_after::float8
    from salesdash.segment_movement(${from}::date, ${to}::date)`;
}

/** The segments of both snapshots, best first: the later snapshot's order, then names only the earlier had. */
export function movementSegments(from: { segments: string[] }, to: { segments: string[] }): MovementResponse['segments'] {
  return [...to.segments, ...from.segments.filter((name) => !to.segments.includes(name))];
}
