// The trained model's evaluation, exactly as the training run stored it (the body of GET /api/model/metrics).
import type { ModelMetrics } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';

export async function modelMetrics(sql: Sql): Promise<ModelMetrics | undefined> {
  const [row] = await sql<{ metrics: ModelMetrics }[]>`select metrics from salesdash.model_metrics limit 1`;
  return row?.metrics;
}
