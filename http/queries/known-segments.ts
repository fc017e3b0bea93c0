// The segment names a filter may use: those of the rules table, so a new rule is accepted without a deploy.
import type { Sql } from '../../db/connection.ts';

export async function knownSegments(sql: Sql): Promise<string[]> {
  const rows = await sql<{ segment: string }[]>`select segment from salesdash.rfm_segment_rules order by display_order`;
  return rows.map((r) => r.segment);
}
