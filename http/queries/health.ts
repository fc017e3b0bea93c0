// Liveness for load balancers and `salesdash serve` users: can we reach PostgreSQL, and is there a model?
import type { Health } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';

export async function health(sql: Sql): Promise<Omit<Health, 'status'>> {
  const [row] = await sql<{ model: boolean; replica_lag_seconds: number | null }[]>`
    select exists (select from salesdash.model_metrics) as model,
           case when pg_is_in_recovery() then
             case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
                  else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0) end::float8
           end as replica_lag_seconds`;
  return { database: true, model: row?.model ?? false, replica_lag_seconds: row?.replica_lag_seconds ?? null };
}
