// Reads the SQL features (salesdash_internal.customer_features / customer_training_rows) into typed arrays, in
// cursor batches so memory stays bounded however many customers there are. SQL defines every feature;
// this file only moves numbers.
import type { Sql } from '../server/db/connection.ts';

/** Columns of salesdash_internal.customer_features used as model inputs, in input order. */
export const FEATURE_NAMES = [
  'recency_days',
  'frequency',
  'monetary',
  'tenure_days',
  'purchase_days',
  'avg_gap_days',
  'last_gap_days',
  'max_gap_days',
  'gap_stddev_days',
  'settled_purchase_days',
  'orders_30d',
  'orders_90d',
  'orders_180d',
  'orders_365d',
  'purchase_days_30d',
  'purchase_days_90d',
  'purchase_days_180d',
  'purchase_days_365d',
  'spend_90d',
  'spend_365d',
  'avg_order_value',
  'items_per_order',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

export interface FeatureBatch {
  customerIds: string[];
  /** Row-major, FEATURE_COUNT values per customer. */
  features: Float64Array;
}

export interface LabelledRows extends FeatureBatch {
  labels: Uint8Array;
  asOf: string;
}

type FeatureRow = Record<FeatureName, number> & { customer_id: string };

function toBatch(rows: FeatureRow[]): FeatureBatch {
  const features = new Float64Array(rows.length * FEATURE_COUNT);
  rows.forEach((row, i) => FEATURE_NAMES.forEach((name, j) => (features[i * FEATURE_COUNT + j] = row[name])));
  return { customerIds: rows.map((r) => r.customer_id), features };
}

/** Every person's features as of a date, streamed in batches (for scoring everyone). */
export async function* streamFeatures(sql: Sql, asOf: string, batchSize = 10000): AsyncGenerator<FeatureBatch> {
  const cursor = sql<FeatureRow[]>`
    select * from salesdash_internal.customer_features(${asOf}::date)
  `.cursor(batchSize);
  for await (const rows of cursor) yield toBatch(rows);
}

/**
 * Features as of `asOf` with the label "bought in (asOf, asOf + horizon]", for a deterministic subsample of
 * people (sampleShare 1 = everyone), ordered by customer so a run is reproducible.
 */
export async function loadLabelledRows(sql: Sql, asOf: string, horizonDays: number, sampleShare = 1): Promise<LabelledRows> {
  const customerIds: string[] = [];
  const chunks: Float64Array[] = [];
  const labels: number[] = [];
  const cursor = sql<(FeatureRow & { will_purchase: boolean })[]>`
    select * from salesdash_internal.customer_training_rows(${asOf}::date, ${horizonDays}, ${sampleShare})
    order by customer_id
  `.cursor(10000);
  for await (const rows of cursor) {
    const batch = toBatch(rows);
    customerIds.push(...batch.customerIds);
    chunks.push(batch.features);
    for (const row of rows) labels.push(row.will_purchase ? 1 : 0);
  }
  return { customerIds, features: concat(chunks), labels: Uint8Array.from(labels), asOf };
}

export function concat(chunks: Float64Array[]): Float64Array {
  const out = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The value of one feature for row i. */
export function feature(rows: FeatureBatch, i: number, name: FeatureName): number {
  return rows.features[i * FEATURE_COUNT + FEATURE_NAMES.indexOf(name)];
}
