// The version of everything the cacheable routes serve: when the RFM tables were last rewritten, which
// training run is current and which snapshots are kept. Small rows and an index, cheap enough to ask on every request.
import type { Sql } from '../../db/connection.ts';

export interface DataVersion {
  /** The published refresh (when it was computed), 'none' before the first. */
  refreshed: string;
  /** The kept snapshots: how many, and when the latest was taken. */
  snapshots: string;
  /** The current model's training run, 'none' without one. */
  modelRun: string;
}

export async function dataVersion(sql: Sql): Promise<DataVersion> {
  const [row] = await sql<{ refreshed: string | null; model_run: string | null; snapshots: string }[]>`
    select
      (select (extract(epoch from refreshed_at) * 1000000)::bigint::text from salesdash.rfm_refresh_status) as refreshed,
      (select model_run_id::text from salesdash.model_metrics) as model_run,
      (select count(*) || '.' || coalesce((extract(epoch from max(taken_at)) * 1000000)::bigint, 0)
       from salesdash.rfm_snapshot_dates) as snapshots`;
  return { refreshed: row?.refreshed ?? 'none', snapshots: row?.snapshots ?? '0', modelRun: row?.model_run ?? 'none' };
}

/** The version as one string: the ETag of every cacheable route. */
export function versionText(version: DataVersion): string {
  return `${version.refreshed}-${version.snapshots}-${version.modelRun}`;
}
