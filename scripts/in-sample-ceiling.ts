// How high the network's holdout ROC AUC can go on these inputs at all: it fits the network on the holdout
// window itself (its own labels, no validation split, fixed epochs) and scores the same rows. That in-sample
// figure is an optimistic ceiling for any honest model on the same inputs; it is a diagnostic for
// docs/model.md and chooses nothing. Stores nothing.
//   DATABASE_URL=... npx tsx scripts/in-sample-ceiling.ts [--horizon-days 30]
import { parseArgs } from 'node:util';
import { connect, resolveDatabaseUrl } from '../db/connection.ts';
import { initBackend } from '../jobs/train/backend.ts';
import { fitBgNbd, historyFromFeatures } from '../jobs/train/bgnbd.ts';
import { inputNames, modelInputs } from '../jobs/train/inputs.ts';
import { feature, loadLabelledRows, readFeatureSet } from '../jobs/train/features.ts';
import { averagePrecision, rocAuc } from '../jobs/train/metrics.ts';
import { fitScaling, predictLogits, scale, trainNetwork } from '../jobs/train/network.ts';
import { addDays } from '../jobs/train/train.ts';

const { values } = parseArgs({ options: { 'horizon-days': { type: 'string', default: '30' } } });
const horizonDays = Number(values['horizon-days']);
const sql = connect(await resolveDatabaseUrl(), { max: 2 });
try {
  await initBackend(() => {});
  await sql`select salesdash_internal.refresh_model_snapshot()`;
  const [{ reference }] = await sql<{ reference: string }[]>`select max(purchased_on)::text as reference from salesdash_internal.model_purchases`;
  const features = await readFeatureSet(sql);
  const holdout = await loadLabelledRows(sql, features, addDays(reference, -horizonDays), horizonDays);
  const histories = Array.from({ length: holdout.labels.length }, (_, i) =>
    historyFromFeatures(feature(holdout, i, 'purchase_days'), feature(holdout, i, 'tenure_days'), feature(holdout, i, 'recency_days')));
  const rows = { features: modelInputs(holdout, fitBgNbd(histories), horizonDays), labels: holdout.labels };
  const scaling = fitScaling(rows.features, inputNames(features).length);
  for (const [hiddenUnits, epochs] of [[[32, 16], 20], [[64, 32], 40], [[128, 64], 60]] as const) {
    const { model } = trainNetwork(rows, rows, scaling, { seed: 42, hiddenUnits: [...hiddenUnits], maxEpochs: epochs, patience: epochs });
    const logits = predictLogits(model, scale(rows.features, scaling));
    console.log(`fitted on the holdout itself, ${hiddenUnits.join('-')} units, ${epochs} epochs: ROC AUC ${rocAuc(logits, holdout.labels).toFixed(4)}, PR AUC ${averagePrecision(logits, holdout.labels).toFixed(4)}`);
    model.dispose();
  }
} finally {
  await sql.end({ timeout: 5 });
}
