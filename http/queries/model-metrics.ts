// The current model's evaluation, exactly as the training run stored it (the body of GET /api/model/metrics).
// Only a published run can be current (a refused one is recorded with its reason but never shown, and a
// published run's figures are all finite: model_runs' check constraints), so no NaN or degenerate figure
// reaches this body.
import type { ModelMetrics } from '../../contract/api.ts';
import type { Sql } from '../../db/connection.ts';

export async function modelMetrics(sql: Sql): Promise<ModelMetrics | undefined> {
  const [row] = await sql<{ metrics: ModelMetrics }[]>`select metrics from salesdash.model_metrics limit 1`;
  return row?.metrics;
}
