// What the network sees: the SQL features plus two BG/NBD quantities derived from them. BG/NBD condenses
// (frequency, recency, tenure) into "is this customer still alive and how fast do they buy", which a small
// network would otherwise have to rediscover from few buyers; giving it as an input lets the network start
// from the classic model and learn what the other features add.
import { historyFromFeatures, horizonWeeks, aliveProbability, purchaseProbability, type BgNbdParameters } from './bgnbd.ts';
import type { FeatureBatch, FeatureSet } from './features.ts';

/** The inputs computed here, after the features in every row. */
export const DERIVED_INPUT_NAMES = ['bgnbd_purchase_probability', 'bgnbd_alive_probability'] as const;

/** The network's input names: the features (in their order), then the derived inputs. */
export function inputNames(features: FeatureSet): string[] {
  return [...features.names, ...DERIVED_INPUT_NAMES];
}

/** The feature names a stored network was trained on: its input names (artifact.network.input_names) without the derived ones. */
export function trainedFeatureNames(storedInputNames: readonly string[]): string[] {
  const derived = storedInputNames.slice(-DERIVED_INPUT_NAMES.length);
  if (storedInputNames.length <= DERIVED_INPUT_NAMES.length || derived.some((name, k) => name !== DERIVED_INPUT_NAMES[k])) {
    throw new Error(`a stored model's inputs end with ${DERIVED_INPUT_NAMES.join(', ')}; this one's are ${storedInputNames.join(', ')}: run salesdash train`);
  }
  return storedInputNames.slice(0, -DERIVED_INPUT_NAMES.length);
}

/**
 * Column `column` of a row of `inputCount` inputs: counts, days and money (the features) are non-negative and
 * heavy-tailed (log1p); the derived probabilities go through the logit.
 */
export function transformInput(column: number, inputCount: number, value: number): number {
  if (column < inputCount - DERIVED_INPUT_NAMES.length) return Math.log1p(Math.max(0, value));
  const p = Math.min(1 - 1e-6, Math.max(1e-6, value));
  return Math.log(p / (1 - p));
}

export function modelInputs(rows: FeatureBatch, parameters: BgNbdParameters, horizonDays: number): Float64Array {
  const { featureSet } = rows;
  const featureCount = featureSet.count;
  const inputCount = featureCount + DERIVED_INPUT_NAMES.length;
  // Looked up once, by name: an error here (not a wrong column) if the feature list lost one of them.
  const purchaseDays = featureSet.index('purchase_days');
  const tenureDays = featureSet.index('tenure_days');
  const recencyDays = featureSet.index('recency_days');
  const count = rows.customerIds.length;
  const out = new Float64Array(count * inputCount);
  const weeks = horizonWeeks(horizonDays);
  for (let i = 0; i < count; i++) {
    const row = rows.features.subarray(i * featureCount, (i + 1) * featureCount);
    out.set(row, i * inputCount);
    const history = historyFromFeatures(row[purchaseDays], row[tenureDays], row[recencyDays]);
    out[i * inputCount + featureCount] = purchaseProbability(parameters, history, weeks);
    out[i * inputCount + featureCount + 1] = aliveProbability(parameters, history);
  }
  return out;
}
