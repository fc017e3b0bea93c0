// `salesdash train [--horizon-days 30] [--seed 42]`: trains the purchase-probability model, evaluates it on the
// holdout against its baselines, scores every customer and stores everything in PostgreSQL.
import { parseOptions, positiveInteger, type Command } from '../command.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { train } from '../../jobs/train/train.ts';
import { enterStep } from '../job.ts';

function integerOrZero(value: string | undefined, name: string, fallback: number): number {
  if (value === '0') return 0;
  return positiveInteger(value, name, fallback);
}

export const trainCommand: Command = {
  summary: 'train the purchase-probability model and score every customer [--horizon-days 30] [--seed 42]',
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      'horizon-days': { type: 'string' },
      seed: { type: 'string' },
    });
    if (positionals.length) throw new Error(`unexpected argument "${positionals[0]}"`);
    const horizonDays = positiveInteger(values['horizon-days'], 'horizon-days', 30);
    const seed = integerOrZero(values.seed, 'seed', 42);
    const url = await resolveDatabaseUrl();
    const result = await withPool(url, { max: 4 }, (sql) =>
      train(sql, {
        horizonDays,
        seed,
        onProgress: (message) => {
          // Per-batch scoring lines only on a terminal; logs keep the milestones.
          if (/^scored \d+ customers$/.test(message) && !process.stderr.isTTY) return;
          console.error(message);
        },
        onStep: enterStep,
      }),
    );
    const m = result.metrics;
    const { recency, bgnbd } = m.baselines;
    const f = (v: number) => v.toFixed(3);
    console.log(`model run ${result.modelRunId} (backend ${result.backend}), reference date ${m.reference_date}, horizon ${m.horizon_days} days`);
    console.log(`holdout ${m.holdout.labels_from}..${m.holdout.labels_to}: ${m.holdout.customers} customers, base rate ${f(m.base_rate)}`);
    console.log('               ROC AUC  PR AUC  Brier   F1');
    console.log(`network          ${f(m.roc_auc)}   ${f(m.pr_auc)}  ${f(m.brier_score)}  ${f(m.f1_score)}`);
    console.log(`recency          ${f(recency.roc_auc)}   ${f(recency.pr_auc)}  ${f(recency.brier_score)}  ${f(recency.f1_score)}`);
    console.log(`BG/NBD           ${f(bgnbd.roc_auc)}   ${f(bgnbd.pr_auc)}  ${f(bgnbd.brier_score)}  ${f(bgnbd.f1_score)}`);
    console.log(`threshold ${f(m.threshold)}: accuracy ${f(m.accuracy)}, precision ${f(m.precision)}, recall ${f(m.recall)}`);
    console.log(`scored ${result.predictions} customers; training ${result.trainSeconds.toFixed(1)} s, scoring ${result.scoreSeconds.toFixed(1)} s`);
  },
};
