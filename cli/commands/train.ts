// `salesdash train [--horizon-days 30] [--seed 42]`: trains the purchase-probability model, evaluates it on the
// holdout against its baselines, scores every customer and stores everything in PostgreSQL.
import { parseOptions, positiveInteger, type Command } from '../command.ts';
import { resolveDatabaseUrl, withPool } from '../../db/connection.ts';
import { ModelNotPublished, train, type ModelMetrics } from '../../jobs/train/train.ts';
import { enterStep } from '../job.ts';

function integerOrZero(value: string | undefined, name: string, fallback: number): number {
  if (value === '0') return 0;
  return positiveInteger(value, name, fallback);
}

export const trainCommand: Command = {
  summary: 'train the purchase-probability model and score every customer [--horizon-days 30] [--seed 42]',
  usage: `usage: salesdash train [--horizon-days 30] [--seed 42]

Trains the model of each customer's probability of buying in the next horizon, evaluates it on the last full
window against its baselines, and scores every customer (salesdash.predictions). A model that does not beat
recency on that window, or whose windows hold no buyers, is recorded but not published: exit 1, saying why.

  --horizon-days N   the period predicted, 1 to 366 days (default 30); also expected orders and revenue
  --seed N           the random seed of the network (default 42); the same data and seed give the same model
Details: docs/model.md
`,
  async run(args) {
    const { values } = parseOptions(
      args,
      {
        'horizon-days': { type: 'string' },
        seed: { type: 'string' },
      },
      false,
    );
    const horizonDays = positiveInteger(values['horizon-days'], 'horizon-days', 30, 366);
    const seed = integerOrZero(values.seed, 'seed', 42);
    const url = await resolveDatabaseUrl();
    const trained = withPool(url, { max: 4 }, (sql) =>
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
    const result = await trained.catch((error: unknown) => {
      if (error instanceof ModelNotPublished) return error;
      throw error;
    });
    if (result instanceof ModelNotPublished) {
      // The run is recorded and its figures are worth seeing, but it is not the model anyone is shown: exit 1
      // with one line saying why (the demo goes on serving the previous model, or none).
      printRun(`model run ${result.modelRunId} (not published)`, result.metrics as Partial<ModelMetrics>);
      process.stderr.write(`salesdash: train: ${result.message}\n`);
      return 1;
    }
    printRun(`model run ${result.modelRunId} (backend ${result.backend})`, result.metrics);
    console.log(`scored ${result.predictions} customers; training ${result.trainSeconds.toFixed(1)} s, scoring ${result.scoreSeconds.toFixed(1)} s`);
  },
};

/** A figure, or n/a where a refused run has none (not trained, or not a finite number: stored as null). */
const f = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '  n/a');

/** The run's windows and, when the network was trained, its figures beside the baselines (stdout). */
function printRun(heading: string, m: Partial<ModelMetrics>): void {
  console.log(`${heading}, reference date ${m.reference_date}, horizon ${m.horizon_days} days`);
  // Customers are people; training rows are one per customer and window, so a customer counts once per window.
  const rows = `${m.training_samples} training rows over ${m.training_windows?.length} windows (one row per customer and window)`;
  // A run refused before training (too few buyers, say) has its windows but no network.
  console.log(m.roc_auc === undefined ? `not trained; the training windows held ${m.training_customers} customers: ${rows}` : `trained on ${m.training_customers} customers: ${rows}`);
  if (m.holdout) console.log(`holdout ${m.holdout.labels_from}..${m.holdout.labels_to}: ${m.holdout.customers} customers, base rate ${f(m.base_rate)}`);
  if (m.roc_auc === undefined || !m.baselines) return;
  const { recency, bgnbd } = m.baselines;
  console.log('               ROC AUC  PR AUC  Brier   F1');
  console.log(`network          ${f(m.roc_auc)}   ${f(m.pr_auc)}  ${f(m.brier_score)}  ${f(m.f1_score)}`);
  console.log(`recency          ${f(recency.roc_auc)}   ${f(recency.pr_auc)}  ${f(recency.brier_score)}  ${f(recency.f1_score)}`);
  console.log(`BG/NBD           ${f(bgnbd.roc_auc)}   ${f(bgnbd.pr_auc)}  ${f(bgnbd.brier_score)}  ${f(bgnbd.f1_score)}`);
  console.log(`threshold ${f(m.threshold)}: accuracy ${f(m.accuracy)}, precision ${f(m.precision)}, recall ${f(m.recall)}`);
  const spend = m.spend;
  if (!spend) return;
  // Expected revenue in the holdout window, per customer, beside the classic forecasts.
  const money = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  const signed = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(3)}` : '  n/a');
  console.log(`expected revenue over the holdout window (actual ${money(spend.actual_revenue)}): ${spend.model}`);
  console.log(`${''.padEnd(22)}${'Spearman'.padStart(8)}  ${'top 10%'.padStart(7)}  ${'total error'.padStart(11)}  ${'MAE'.padStart(7)}  ${'predicted'.padStart(11)}`);
  const row = (name: string, s: typeof spend.network) =>
    console.log(`${name.padEnd(22)}${f(s.spearman).padStart(8)}  ${f(s.top_decile_capture).padStart(7)}  ${signed(s.total_error).padStart(11)}  ${money(s.mae).padStart(7)}  ${money(s.predicted_revenue).padStart(11)}`);
  row('network', spend.network);
  row('BG/NBD × Gamma-Gamma', spend.baselines.bgnbd_gamma_gamma);
  row('run rate', spend.baselines.run_rate);
  const gg = spend.gamma_gamma;
  console.log(`Gamma-Gamma p ${f(gg.p)}, q ${f(gg.q)}, γ ${f(gg.gamma)} on ${gg.repeat_customers} repeat customers; correlation of frequency and order value ${f(gg.frequency_value_correlation)}`);
}
