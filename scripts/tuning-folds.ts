// Scores the model on tuning folds: the default training pipeline with the reference date moved back one,
// two, ... horizons (jobs/train/train.ts, evaluateTuningFold), so a variant of the model is chosen on earlier data and
// the real holdout (fold 0) is only looked at afterwards. Stores nothing.
//   DATABASE_URL=... npx tsx scripts/tuning-folds.ts [--folds 3,2,1] [--seed 42] [--horizon-days 30]
// Two lines per fold on stdout (network, recency, BG/NBD: ROC AUC / PR AUC; expected revenue, ours and
// BG/NBD × Gamma-Gamma: Spearman / top-decile capture / total error); progress on stderr with --verbose.
import { parseArgs } from 'node:util';
import { connect, resolveDatabaseUrl } from '../db/connection.ts';
import { evaluateTuningFold } from '../jobs/train/train.ts';
import type { SpendFigures } from '../jobs/train/metrics.ts';

const { values } = parseArgs({
  options: {
    folds: { type: 'string', default: '3,2,1' },
    seed: { type: 'string', default: '42' },
    'horizon-days': { type: 'string', default: '30' },
    verbose: { type: 'boolean', default: false },
  },
});
const folds = values.folds.split(',').map((fold) => {
  if (!/^\d+$/.test(fold)) throw new Error(`--folds takes whole numbers of horizons back, e.g. 3,2,1; got "${fold}"`);
  return Number(fold);
});
const sql = connect(await resolveDatabaseUrl(), { max: 4 });
try {
  const f = (v: number) => v.toFixed(4);
  for (const fold of folds) {
    const m = await evaluateTuningFold(sql, fold, {
      seed: Number(values.seed),
      horizonDays: Number(values['horizon-days']),
      onProgress: values.verbose ? (message) => console.error(message) : undefined,
    });
    const { recency, bgnbd } = m.baselines;
    console.log(`fold ${fold}: holdout ${m.holdout.labels_from}..${m.holdout.labels_to}, ${m.holdout.customers} customers, base rate ${f(m.base_rate)}; `
      + `network ${f(m.roc_auc)} / ${f(m.pr_auc)}, recency ${f(recency.roc_auc)} / ${f(recency.pr_auc)}, BG/NBD ${f(bgnbd.roc_auc)} / ${f(bgnbd.pr_auc)} (ROC AUC / PR AUC); best epoch ${m.epochs}`);
    const spend = (s: SpendFigures) => `${f(s.spearman)} / ${f(s.top_decile_capture)} / ${s.total_error >= 0 ? '+' : ''}${s.total_error.toFixed(3)}`;
    console.log(`fold ${fold}: expected revenue ${spend(m.spend.network)}, BG/NBD × Gamma-Gamma ${spend(m.spend.baselines.bgnbd_gamma_gamma)} (Spearman / top decile / total error); ${m.spend.model}`);
  }
} finally {
  await sql.end({ timeout: 5 });
}
