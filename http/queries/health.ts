// Liveness for load balancers and `salesdash serve` users: can we reach PostgreSQL, and is there a model?
import type { Sql } from '../../db/connection.ts';

export async function health(sql: Sql): Promise<{ database: boolean; model: boolean }> {
  const [row] = await sql<{ model: boolean }[]>`select exists (select from salesdash.model_metrics) as model`;
  return { database: true, model: row?.model ?? false };
}
