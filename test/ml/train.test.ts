// Training end to end on a small simulated shop: stored metrics and predictions, determinism, atomic swaps,
// the training lock, what the BI reader may see, and a stored model that scores without files.
import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import { insertOrders, simulatedOrders } from './fixtures.ts';
import { addDays, evaluateTuningFold, train, TRAINING_LOCK_KEY, type ModelMetrics, type TrainOptions } from '../../jobs/train/train.ts';
import { importNetwork, scale, calibrate, predictLogits, type NetworkArtifact } from '../../jobs/train/network.ts';
import { inputNames, modelInputs, trainedFeatureNames } from '../../jobs/train/inputs.ts';
import { featuresForModel, readFeatureSet, streamFeatures } from '../../jobs/train/features.ts';
import { expectedSpend, spendParts } from '../../jobs/train/spend.ts';

// Small and quick: short training. Enough to check every mechanism.
const quick: TrainOptions = { seed: 7, trainingWindows: 4, network: { maxEpochs: 8, patience: 3 } };
// A model is published only when it beats recency on the holdout (publish.ts). With a few hundred people the
// holdout has a few dozen buyers and that comparison is a coin toss; with 3,000 (and these seeds) the network
// beats recency by about 0.01 ROC AUC, so the trainings below are published.
const shop = 3000;

t.test('before any training: no metrics, no predictions', async (t) => {
  const { sql } = await testDatabase(t);
  t.same(await sql`select * from salesdash.model_metrics`, []);
  t.same(await sql`select * from salesdash.predictions`, []);
  await t.rejects(train(sql, quick), { message: 'no counted orders to learn from; import or generate data first' });
  await insertOrders(sql, simulatedOrders(50, 1, 60));
  await t.rejects(train(sql, quick), /too short for 30-day windows/);
});

t.test('training stores metrics of the contract shape and scores every person once', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(shop, 3));
  const result = await train(sql, quick);
  const [row] = await sql`select model_run_id::int, metrics from salesdash.model_metrics`;
  t.equal(row.model_run_id, result.modelRunId);
  const m = row.metrics;
  for (const key of ['accuracy', 'f1_score', 'precision', 'recall', 'roc_auc', 'pr_auc', 'brier_score', 'base_rate', 'threshold']) {
    t.ok(typeof m[key] === 'number' && m[key] >= 0 && m[key] <= 1, `${key} = ${m[key]}`);
  }
  t.same(Object.keys(m.confusion_matrix).sort(), ['false_negative', 'false_positive', 'true_negative', 'true_positive']);
  const c = m.confusion_matrix;
  t.equal(c.true_positive + c.true_negative + c.false_positive + c.false_negative, m.holdout.customers);
  t.match(m, {
    model_trained_date: /^\d{4}-\d{2}-\d{2}$/,
    training_samples: Number,
    threshold_method: String,
    horizon_days: 30,
    backend: /^(tensorflow|wasm|cpu)$/,
    holdout: { features_as_of: /^\d{4}-\d{2}-\d{2}$/, labels_from: String, labels_to: m.reference_date, customers: Number },
  });
  for (const name of ['recency', 'bgnbd']) {
    t.same(Object.keys(m.baselines[name]).filter((k) => k !== 'parameters' && k !== 'threshold').sort(),
      ['accuracy', 'brier_score', 'f1_score', 'pr_auc', 'precision', 'recall', 'roc_auc'], `${name} baseline figures`);
  }
  t.equal(m.curves.roc.fpr.length, m.curves.roc.tpr.length);
  t.equal(m.curves.pr.recall.length, m.curves.pr.precision.length);
  t.same(m.probability_histogram.lower_bound, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);

  const [{ people }] = await sql`select count(distinct customer_id)::int as people from salesdash_internal.model_purchases`;
  const [p] = await sql`
    select count(*)::int as rows, count(distinct customer_id)::int as customers,
           min(prediction_date)::text as first_date, max(prediction_date)::text as last_date,
           min(model_run_id)::int as first_run, max(model_run_id)::int as last_run,
           bool_and(predicted_label = (purchase_probability >= ${m.threshold})) as labels_follow_threshold
    from salesdash.predictions`;
  t.same(p, { rows: people, customers: people, first_date: m.reference_date, last_date: m.reference_date,
    first_run: result.modelRunId, last_run: result.modelRunId, labels_follow_threshold: true });
  t.equal(m.probability_histogram.customers.reduce((a: number, b: number) => a + b, 0), people);
  t.equal(result.predictions, people);

  // Expected spend: the contract's shape (contract/api.ts ModelMetrics.spend), every figure a finite number.
  const figureNames = ['mae', 'predicted_revenue', 'spearman', 'top_decile_capture', 'total_error'];
  t.match(m.spend, { horizon_days: 30, actual_revenue: Number, model: String, gamma_gamma: { p: Number, q: Number, gamma: Number, repeat_customers: Number, frequency_value_correlation: Number } });
  for (const [name, figures] of [['network', m.spend.network], ['bgnbd_gamma_gamma', m.spend.baselines.bgnbd_gamma_gamma], ['run_rate', m.spend.baselines.run_rate]]) {
    t.same(Object.keys(figures).sort(), figureNames, `${name} spend figures`);
    t.ok(Object.values(figures).every((v) => Number.isFinite(v)), `${name}: finite`);
  }
  t.ok(m.spend.network.top_decile_capture > 0.1 && m.spend.network.top_decile_capture <= 1);
  // The actual revenue is the holdout customers' net revenue in the holdout window, as the SQL label says.
  const [{ actual }] = await sql`
    select round(sum(horizon_revenue)::numeric, 2)::float8 as actual
    from salesdash_internal.customer_labels(${m.holdout.features_as_of}, 30)`;
  t.equal(m.spend.actual_revenue, actual);
  // Our total is BG/NBD × Gamma-Gamma's on the holdout customers (spend.ts), so the total errors agree.
  t.ok(Math.abs(m.spend.network.total_error - m.spend.baselines.bgnbd_gamma_gamma.total_error) < 1e-4, 'same total as the classic model');
  const [e] = await sql`
    select count(*)::int as rows, bool_and(expected_orders >= 0 and expected_revenue >= 0) as non_negative,
           sum(expected_revenue)::float8 as revenue, corr(expected_revenue, purchase_probability) as with_probability
    from salesdash.predictions`;
  t.equal(e.rows, people);
  t.ok(e.non_negative && e.revenue > 0, `expected revenue ${e.revenue} in all`);
  t.ok(e.with_probability > 0.3, `expected revenue follows the purchase probability (correlation ${e.with_probability})`);
});

t.test('publishing waits for an RFM refresh and writes the segment forecasts in the same transaction', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(shop, 3));
  await sql`select salesdash.refresh_rfm()`;
  // An RFM refresh in progress holds its lock: the training must wait for it before it publishes.
  const refresh = await sql.reserve();
  await refresh`begin`;
  await refresh`select salesdash_internal.wait_for_refresh_turn()`;
  let storing!: () => void;
  const reachedStoring = new Promise<void>((resolve) => (storing = resolve));
  const training = train(sql, { ...quick, onStep: (name) => { if (name === 'storing the model run') storing(); } });
  await reachedStoring;
  let waiting = 0;
  for (let k = 0; k < 50 && !waiting; k++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    [{ waiting }] = await sql<{ waiting: number }[]>`select count(*)::int as waiting from pg_locks where locktype = 'relation' and relation = 'salesdash_internal.refresh_turn'::regclass and not granted`;
  }
  t.equal(waiting, 1, 'the publishing transaction waits for the refresh lock');
  t.same(await sql`select * from salesdash.predictions limit 1`, [], 'nothing written while the refresh holds it');
  await refresh`commit`;
  refresh.release();
  const result = await training;

  const [forecast] = await sql`select model_run_id::int, expected_revenue::float8, expected_orders from salesdash.shop_forecast`;
  const [totals] = await sql`
    select sum(p.expected_revenue)::float8 as revenue, sum(p.expected_orders) as orders
    from salesdash.predictions p join salesdash.rfm_scores_current r using (customer_id)`;
  t.equal(forecast?.model_run_id, result.modelRunId, 'the published generation has the new model\'s forecast');
  t.ok(Math.abs(forecast.expected_revenue - totals.revenue) < 0.01 && Math.abs(forecast.expected_orders - totals.orders) < 1e-6,
    `the shop's forecast (${forecast.expected_revenue}) is the sum of its customers' expected revenue (${totals.revenue})`);
});

t.test('the same seed on the same data gives the same metrics and predictions', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(shop, 4));
  const first = await train(sql, quick);
  const firstScores = await sql`select customer_id, purchase_probability from salesdash.predictions order by customer_id`;
  const second = await train(sql, quick);
  const secondScores = await sql`select customer_id, purchase_probability from salesdash.predictions order by customer_id`;
  t.not(second.modelRunId, first.modelRunId);
  t.same(second.metrics, first.metrics);
  t.same(secondScores, firstScores);
  const [{ current }] = await sql`select count(*)::int as current from salesdash_internal.model_runs where is_current`;
  t.equal(current, 1, 'exactly one current model');
});

t.test('a training that fails while scoring leaves the previous predictions and metrics untouched', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(shop, 5));
  const first = await train(sql, quick);
  const before = await sql`select * from salesdash.predictions order by customer_id`;
  const metricsBefore = await sql`select * from salesdash.model_metrics`;
  await t.rejects(
    train(sql, {
      ...quick,
      seed: 8,
      onProgress: (message) => {
        if (message.startsWith('scored ')) throw new Error('simulated failure while writing predictions');
      },
    }),
    { message: 'simulated failure while writing predictions' },
  );
  t.same(await sql`select * from salesdash.predictions order by customer_id`, before, 'predictions unchanged');
  t.same(await sql`select * from salesdash.model_metrics`, metricsBefore, 'metrics unchanged');
  const runs = await sql`select id::int from salesdash_internal.model_runs`;
  t.same(runs.map((r) => r.id), [first.modelRunId], 'the failed run left no row');
  const again = await train(sql, quick);
  t.ok(again.predictions > 0, 'the lock was released: a new training runs');
});

// What a tuning fold must equal: everything but the day it ran and the histogram (filled in while scoring).
const evaluated = ({ model_trained_date: _day, probability_histogram: _histogram, ...rest }: ModelMetrics) => rest;

t.test('tuning folds: the real pipeline one horizon back, blind to later orders, storing nothing', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(shop, 9));
  const trained = await train(sql, quick);
  const stored = await sql`select * from salesdash.predictions order by customer_id`;
  const fold0 = await evaluateTuningFold(sql, 0, quick);
  t.same(evaluated(fold0), evaluated(trained.metrics), 'fold 0 is the real holdout, evaluated exactly as train does');

  const fold1 = await evaluateTuningFold(sql, 1, quick);
  const ref = trained.metrics.reference_date;
  t.equal(fold1.reference_date, addDays(ref, -30));
  t.match(fold1.holdout, { features_as_of: addDays(ref, -60), labels_from: addDays(ref, -59), labels_to: addDays(ref, -30) });
  t.equal(fold1.validation.features_as_of, addDays(ref, -90));
  t.same(fold1.training_windows, trained.metrics.training_windows.map((day) => addDays(day, -30)), 'every window one horizon earlier');

  // Orders after the fold's reference date (up to the real one, so that stays) must not change the fold at all.
  const later = Array.from({ length: 60 }, (_, k) => ({
    orderId: `late-${k}`, person: k % 2 ? `p${String(k).padStart(5, '0')}` : `new-${k}`,
    at: `${addDays(ref, -29 + (k % 29))} 12:00:00`, amount: 20 + k,
  }));
  await insertOrders(sql, later);
  t.same(evaluated(await evaluateTuningFold(sql, 1, quick)), evaluated(fold1), 'later orders change nothing in fold 1');

  t.same(await sql`select * from salesdash.predictions order by customer_id`, stored, 'predictions untouched');
  const [{ runs }] = await sql`select count(*)::int as runs from salesdash_internal.model_runs`;
  t.equal(runs, 1, 'no model run stored');
  await t.rejects(evaluateTuningFold(sql, -1, quick), /whole number of horizons back/);
  await t.rejects(evaluateTuningFold(sql, 20, quick), /too short for 30-day windows/);
});

t.test('two trainings at once: one runs, the other stops with a clear message', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(shop, 7));
  const results = await Promise.allSettled([train(sql, quick), train(sql, quick)]);
  const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  t.equal(failed.length, 1);
  t.match(failed[0].reason.message, /^another training is already running on this database \(session pid \d+, role postgres(, application [^)]+)?\); try again when it has finished$/);
  const [{ runs }] = await sql`select count(*)::int as runs from salesdash_internal.model_runs`;
  t.equal(runs, 1);

  // A BI login holding the same advisory key (any role may) is named, so a DBA can tell it from a training.
  const reader = await sql.reserve();
  try {
    await reader`set role salesdash_reader`;
    await reader`set application_name = 'bi-tool'`;
    await reader`select pg_advisory_lock(${TRAINING_LOCK_KEY.toString()}::bigint)`;
    await t.rejects(train(sql, quick), { message: /^another training is already running on this database \(session pid \d+, role postgres, application bi-tool\)/ });
  } finally {
    await reader`select pg_advisory_unlock_all()`;
    await reader`reset role`;
    reader.release();
  }
});

t.test('the BI reader sees predictions and metrics but not the model internals', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(shop, 7));
  await train(sql, quick);
  const reader = await sql.reserve();
  try {
    await reader`set role salesdash_reader`;
    const [{ n }] = await reader`select count(*)::int as n from salesdash.predictions`;
    t.ok(n > 0);
    t.equal((await reader`select * from salesdash.model_metrics`).length, 1);
    await t.rejects(reader`select * from salesdash_internal.model_runs`, { code: '42501' });
    await t.rejects(reader`delete from salesdash.predictions`, { code: '42501' });
    await t.rejects(reader`select salesdash_internal.customer_training_rows(current_date, 0)`, { code: '42501' });
  } finally {
    await reader`reset role`;
    reader.release();
  }
});

t.test('the stored artifact rebuilds the model without files and reproduces the stored scores', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, simulatedOrders(shop, 3));
  const result = await train(sql, quick);
  const [{ artifact }] = await sql`select artifact from salesdash_internal.model_runs where id = ${result.modelRunId}`;
  const network = artifact.network as NetworkArtifact;
  t.same(network.input_names, inputNames(await readFeatureSet(sql)), 'the artifact names the features it was trained on, in order');
  const trained = trainedFeatureNames(network.input_names);
  const features = await featuresForModel(sql, trained);
  const model = await importNetwork(network);
  const stored = new Map((await sql`select customer_id, purchase_probability, expected_orders, expected_revenue::float8 from salesdash.predictions`).map((r) => [r.customer_id, r]));
  let compared = 0;
  let spendCompared = 0;
  for await (const batch of streamFeatures(sql, features, result.metrics.reference_date)) {
    const inputs = modelInputs(batch, artifact.bgnbd_parameters, artifact.horizon_days);
    const probabilities = calibrate(predictLogits(model, scale(inputs, network.scaling)), network.calibration);
    const spend = expectedSpend(spendParts(probabilities, artifact.bgnbd_parameters, artifact.spend.gamma_gamma, batch, artifact.horizon_days), artifact.spend);
    batch.customerIds.forEach((id, i) => {
      const row = stored.get(id)!;
      if (Math.abs(probabilities[i] - row.purchase_probability) < 1e-6) compared++;
      if (Math.abs(spend.orders[i] - row.expected_orders) < 1e-6 && Math.abs(spend.revenue[i] - row.expected_revenue) <= 0.005 + 1e-9) spendCompared++;
    });
  }
  t.equal(compared, stored.size, 'every stored probability reproduced');
  t.equal(spendCompared, stored.size, 'every stored expected order count and revenue reproduced');

  // The database's feature list changes after training (a feature renamed): the stored model no longer fits.
  await sql`alter type salesdash_internal.customer_training_row rename attribute items_per_order to items_per_order_v2`;
  const now = trained.map((name) => (name === 'items_per_order' ? 'items_per_order_v2' : name));
  await t.rejects(featuresForModel(sql, trained), {
    message: `the model was trained on features ${trained.join(', ')}; the database now has ${now.join(', ')}: run salesdash train`,
  });
});
