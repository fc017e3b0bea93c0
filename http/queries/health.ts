// Liveness for load balancers and `salesdash serve` users: can we reach PostgreSQL, and is there a model?
import type { Health } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';

export async function health(sql: Sql): Promise<Omit<Health, 'status'>> {
  const [row] = await sql<{ model: boolean }[]>`select exists (select from salesdash.model_metrics) as model`;
  return { database: true, model: row?.model ?? false };
}
