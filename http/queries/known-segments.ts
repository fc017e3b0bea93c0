// The segment names a filter may use: those of the published refresh (segment_summary), which are the names its
// rows carry; a rule renamed or added since is accepted once a refresh has scored with it, without a deploy.
import type { Sql } from '../../db/connection.ts';

export async function knownSegments(sql: Sql): Promise<string[]> {
  const rows = await sql<{ segment: string }[]>`select segment from salesdash.segment_summary order by display_order`;
  return rows.map((r) => r.segment);
}
