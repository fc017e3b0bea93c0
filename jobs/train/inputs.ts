// What the network sees: the SQL features plus two BG/NBD quantities derived from them. BG/NBD condenses
// (frequency, recency, tenure) into "is this customer still alive and how fast do they buy", which a small
// network would otherwise have to rediscover from few buyers; giving it as an input lets the network start
// from the classic model and learn what the other features add.
import { historyFromFeatures, horizonWeeks, aliveProbability, purchaseProbability, type BgNbdParameters } from './bgnbd.ts';
import { feature, FEATURE_COUNT, FEATURE_NAMES, type FeatureBatch } from './features.ts';

export const INPUT_NAMES = [...FEATURE_NAMES, 'bgnbd_purchase_probability', 'bgnbd_alive_probability'] as const;
export const INPUT_COUNT = INPUT_NAMES.length;

/** Counts, days and money are non-negative and heavy-tailed (log1p); probabilities go through the logit. */
export function transformInput(column: number, value: number): number {
  if (column < FEATURE_COUNT) return Math.log1p(Math.max(0, value));
  const p = Math.min(1 - 1e-6, Math.max(1e-6, value));
  return Math.log(p / (1 - p));
}

export function modelInputs(rows: FeatureBatch, parameters: BgNbdParameters, horizonDays: number): Float64Array {
  const count = rows.customerIds.length;
  const out = new Float64Array(count * INPUT_COUNT);
  const weeks = horizonWeeks(horizonDays);
  for (let i = 0; i < count; i++) {
    out.set(rows.features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), i * INPUT_COUNT);
    const history = historyFromFeatures(feature(rows, i, 'purchase_days'), feature(rows, i, 'tenure_days'), feature(rows, i, 'recency_days'));
    out[i * INPUT_COUNT + FEATURE_COUNT] = purchaseProbability(parameters, history, weeks);
    out[i * INPUT_COUNT + FEATURE_COUNT + 1] = aliveProbability(parameters, history);
  }
  return out;
}
