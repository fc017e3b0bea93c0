// The version of everything the cacheable routes serve: when the RFM tables were last rewritten and which
// training run is current. One row each, cheap enough to ask on every request.
import type { Sql } from '../../db/connection.ts';

export async function dataVersion(sql: Sql): Promise<string> {
  const [row] = await sql<{ refreshed: string | null; model_run: string | null }[]>`
    select
      (select (extract(epoch from refreshed_at) * 1000000)::bigint::text from salesdash.rfm_refresh_status) as refreshed,
      (select model_run_id::text from salesdash.model_metrics) as model_run`;
  return `${row?.refreshed ?? 'none'}-${row?.model_run ?? 'none'}`;
}
