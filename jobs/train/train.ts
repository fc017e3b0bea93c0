// `salesdash train`: builds time windows back from the reference date, trains the network on the earliest
// ones, stops early and calibrates on the validation window, evaluates the network and two baselines on the
// holdout (the last full window, never used for fitting), then scores every customer as of the reference
// date and swaps the predictions in one transaction.
//
//   ... training windows ... | validation: features as of ref − 2h, labels (ref − 2h, ref − h]
//                              | holdout: features as of ref − h, labels (ref − h, ref] | scoring as of ref
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type * as tf from '@tensorflow/tfjs';
import type { Sql } from '../../db/connection.ts';
import { initBackend, type BackendName } from './backend.ts';
import { fitBgNbd, historyFromFeatures, horizonWeeks, purchaseProbability, type BgNbdParameters, type History } from './bgnbd.ts';
import { inputNames, modelInputs, trainedFeatureNames } from './inputs.ts';
import { concat, feature, featuresForModel, loadLabelledRows, readFeatureSet, streamFeatureCopy, type FeatureSet, type LabelledRows } from './features.ts';
import {
  confidenceOf, confidenceTable, correlation, maxF1Threshold, prCurve, probabilityHistogram, rocCurve, round, scoreMetrics, spendFigures,
  type ConfidenceTable, type ScoreMetrics, type SpendFigures,
} from './metrics.ts';
import { fitGammaGamma, type GammaGammaParameters, type SpendHistory } from './gamma-gamma.ts';
import {
  bgnbdGammaGammaRevenue, expectedSpend, fitSpendModel, runRateRevenue, spendHistories, spendModelDescription, spendParts, type SpendModel,
} from './spend.ts';
import {
  calibrate, exportNetwork, fitCalibration, fitScaling, predictLogits, scale, trainNetwork,
  type Calibration, type NetworkOptions, type Scaling,
} from './network.ts';
import { ModelNotPublished, refusal, storable, writeSegmentForecasts, type WindowOutcome } from './publish.ts';
import { assertShopNotEmptiedSince, shopEmptiedCount } from '../import/shop-source.ts';

/** The shop's history is too short (or empty) for the horizon's windows: nothing was trained or recorded. */
export class NotEnoughHistory extends Error {}

export { ModelNotPublished } from './publish.ts';

export interface TrainOptions {
  horizonDays?: number;
  seed?: number;
  onProgress?: (message: string) => void;
  /** Called as each step begins, so a failure can be reported with the step it interrupted. */
  onStep?: (step: string) => void;
  /** Earlier windows stacked for training (fewer when the history is shorter). */
  trainingWindows?: number;
  /** Cap on training rows over all windows; larger data is subsampled by person (deterministically). */
  maxTrainingRows?: number;
  /** Cap on holdout rows (validation gets half); larger data is subsampled by person. */
  maxEvaluationRows?: number;
  /** Overrides of the network's training settings (tests use fewer epochs). */
  network?: Partial<Omit<NetworkOptions, 'seed' | 'onEpoch'>>;
}

export interface TrainResult {
  modelRunId: number;
  backend: BackendName;
  metrics: ModelMetrics;
  predictions: number;
  trainSeconds: number;
  scoreSeconds: number;
}

type BaselineMetrics = Omit<ScoreMetrics, 'roc_auc' | 'pr_auc' | 'brier_score'> & { roc_auc: number; pr_auc: number; brier_score: number };

/** What every run records, published or not: its windows and how many customers and rows they held. */
export interface RunWindows {
  model_trained_date: string;
  /** Training rows: one per customer and training window (a customer in four windows is four rows). */
  training_samples: number;
  /** Distinct customers (people) among the training rows. */
  training_customers: number;
  /** Share of holdout customers who bought. */
  base_rate: number;
  horizon_days: number;
  backend: BackendName;
  reference_date: string;
  holdout: { features_as_of: string; labels_from: string; labels_to: string; customers: number };
  validation: { features_as_of: string; labels_from: string; labels_to: string; customers: number };
  training_windows: string[];
  training_sample_share: number;
}

export interface ModelMetrics extends ScoreMetrics, RunWindows {
  confusion_matrix: { true_positive: number; true_negative: number; false_positive: number; false_negative: number };
  threshold: number;
  threshold_method: string;
  epochs: number;
  baselines: { recency: BaselineMetrics; bgnbd: BaselineMetrics & { parameters: BgNbdParameters } };
  curves: { roc: { fpr: number[]; tpr: number[] }; pr: { recall: number[]; precision: number[] } };
  probability_histogram: { lower_bound: number[]; customers: number[] };
  spend: SpendMetrics;
}

/** Expected revenue in the horizon on the holdout: ours and the two classic forecasts (contract/api.ts ModelMetrics.spend). */
export interface SpendMetrics {
  horizon_days: number;
  /** The holdout customers' actual net revenue in the holdout window. */
  actual_revenue: number;
  /** What expected_revenue in predictions comes from. */
  model: string;
  network: SpendFigures;
  baselines: { bgnbd_gamma_gamma: SpendFigures; run_rate: SpendFigures };
  gamma_gamma: GammaGammaParameters & { repeat_customers: number; frequency_value_correlation: number };
}

// One fixed advisory-lock key for "a training is running" in this database.
export const TRAINING_LOCK_KEY = 0x5a1e5da54d0d31n;

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Runs `work` while holding the training lock; a second training (or tuning fold) at the same time is refused. */
async function withTrainingLock<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
  const lockConnection = await sql.reserve();
  try {
    const [{ locked }] = await lockConnection<{ locked: boolean }[]>`select pg_try_advisory_lock(${TRAINING_LOCK_KEY.toString()}::bigint) as locked`;
    if (!locked) {
      // Any login may take an advisory lock: name the session holding it, so a DBA can tell a training from,
      // say, a BI session holding the key (and end it: select pg_terminate_backend(pid)).
      const [holder] = await lockConnection<{ pid: number; role: string; application: string }[]>`
        select a.pid, a.usename::text as role, a.application_name as application
        from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and l.objsubid = 1 and l.database = (select oid from pg_database where datname = current_database())
          and ((l.classid::bigint << 32) | l.objid::bigint) = ${TRAINING_LOCK_KEY.toString()}::bigint`;
      const who = holder ? ` (session pid ${holder.pid}, role ${holder.role}${holder.application ? `, application ${holder.application}` : ''})` : '';
      throw new Error(`another training is already running on this database${who}; try again when it has finished`);
    }
    try {
      return await work();
    } finally {
      await lockConnection`select pg_advisory_unlock(${TRAINING_LOCK_KEY.toString()}::bigint)`;
    }
  } finally {
    lockConnection.release();
  }
}

/**
 * Trains, evaluates on the holdout, scores every customer and swaps the predictions in. A training that must
 * not be published (publish.ts) is recorded with its reason, leaves the current model and its predictions as
 * they are, and rejects with ModelNotPublished.
 */
export async function train(sql: Sql, options: TrainOptions = {}): Promise<TrainResult> {
  options.onStep?.('taking the training lock');
  return withTrainingLock(sql, async () => {
    const shopEmptied = await shopEmptiedCount(sql);
    const fitted = await fitAndEvaluate(sql, options, 0);
    if (!fitted.trained) throw await recordRefusal(sql, fitted, fitted.refusal);
    if (fitted.refusal !== undefined) throw await recordRefusal(sql, fitted, fitted.refusal);
    const { model, metrics, backend, progress, trainSeconds } = fitted;
    const scoringStarted = performance.now();
    const { modelRunId, predictions } = await storeAndScore(sql, fitted, shopEmptied);
    model.dispose();
    const scoreSeconds = (performance.now() - scoringStarted) / 1000;
    progress(`scored ${predictions} customers in ${scoreSeconds.toFixed(1)} s`);
    return { modelRunId, backend, metrics, predictions, trainSeconds, scoreSeconds };
  });
}

/**
 * A tuning fold: the whole of `train`'s fitting and evaluation as if the data ended `fold` horizons before its
 * last purchase (fold 1 = holdout one horizon earlier, validation and training windows before it), so model
 * variants can be compared without ever looking at the real holdout. Nothing after the shifted reference date
 * reaches any window (features stop at their as-of date, labels at the shifted reference date), and nothing
 * is stored: predictions and model runs stay as they are. Fold 0 is the real holdout, exactly as `train`
 * evaluates it.
 */
export async function evaluateTuningFold(sql: Sql, fold: number, options: TrainOptions = {}): Promise<ModelMetrics> {
  if (!Number.isInteger(fold) || fold < 0) throw new Error(`a tuning fold is a whole number of horizons back (0, 1, 2, ...), got ${fold}`);
  return withTrainingLock(sql, async () => {
    const evaluated = await fitAndEvaluate(sql, options, fold);
    // A fold whose windows cannot judge a model has no figures to compare; one that was trained has, even
    // when it would not be published.
    if (!evaluated.trained) throw new Error(`tuning fold ${fold}: ${evaluated.refusal}`);
    evaluated.model.dispose();
    return evaluated.metrics;
  });
}

function metricsOf(probabilities: ArrayLike<number>, labels: Uint8Array, threshold: number) {
  const { confusion, ...rest } = scoreMetrics(probabilities, labels, threshold);
  const rounded = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, round(v)])) as unknown as ScoreMetrics;
  return { ...rounded, confusion_matrix: confusion, threshold: round(threshold) };
}

function concatRows(windows: LabelledRows[]): LabelledRows {
  return {
    asOf: windows.map((w) => w.asOf).join(','),
    customerIds: windows.flatMap((w) => w.customerIds),
    features: concat(windows.map((w) => w.features)),
    featureSet: windows[0].featureSet,
    labels: Uint8Array.from(windows.flatMap((w) => Array.from(w.labels))),
    orders: concat(windows.map((w) => w.orders)),
    revenue: concat(windows.map((w) => w.revenue)),
  };
}

/**
 * BG/NBD on the window's histories and Gamma-Gamma on the same customers, as lifetimes fits it: repeat
 * customers only (frequency > 0), here also with a positive net value (log m̄). Fifty thousand customers pin a
 * few population parameters down well; more only costs time.
 */
function fitClassicModels(rows: LabelledRows): { parameters: BgNbdParameters; gammaGamma: GammaGammaParameters; repeatSpend: SpendHistory[] } {
  const every = Math.ceil(rows.labels.length / 50000);
  const histories: History[] = [];
  for (let i = 0; i < rows.labels.length; i += every) {
    histories.push(historyFromFeatures(feature(rows, i, 'purchase_days'), feature(rows, i, 'tenure_days'), feature(rows, i, 'recency_days')));
  }
  const repeatSpend = spendHistories(rows).filter((h, i) => i % every === 0 && h.x >= 2 && h.m > 0);
  return { parameters: fitBgNbd(histories), gammaGamma: fitGammaGamma(repeatSpend), repeatSpend };
}

function recencyLogit(rows: LabelledRows): Float64Array {
  const out = new Float64Array(rows.labels.length);
  for (let i = 0; i < out.length; i++) out[i] = -Math.log1p(feature(rows, i, 'recency_days'));
  return out;
}

function bgnbdProbabilities(parameters: BgNbdParameters, rows: LabelledRows, horizonDays: number): Float64Array {
  const out = new Float64Array(rows.labels.length);
  for (let i = 0; i < out.length; i++) {
    const history = historyFromFeatures(feature(rows, i, 'purchase_days'), feature(rows, i, 'tenure_days'), feature(rows, i, 'recency_days'));
    out[i] = purchaseProbability(parameters, history, horizonWeeks(horizonDays));
  }
  return out;
}

interface RunContext {
  referenceDate: string;
  horizonDays: number;
  backend: BackendName;
  seed: number;
  progress: (message: string) => void;
  step: (name: string) => void;
}

interface Fitted extends StoreInput {
  trained: true;
  trainSeconds: number;
  /** Why this model must not be published (publish.ts), or undefined. */
  refusal: string | undefined;
}

/** A training refused before the network was fitted: only its windows are known. */
interface RefusedEarly extends RunContext {
  trained: false;
  refusal: string;
  metrics: RunWindows;
}

const buyers = (labels: Uint8Array) => labels.reduce((n, y) => n + y, 0);

/**
 * Everything up to the stored run: windows, network, calibration, threshold, holdout metrics of all three,
 * and whether the result may be published. Windows that cannot teach or judge a classifier stop it before
 * anything is fitted.
 */
async function fitAndEvaluate(sql: Sql, options: TrainOptions, foldsBack: number): Promise<Fitted | RefusedEarly> {
  const horizonDays = options.horizonDays ?? 30;
  const seed = options.seed ?? 42;
  const progress = options.onProgress ?? (() => {});
  if (!Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > 366) throw new Error(`horizon must be 1..366 days, got ${horizonDays}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) throw new Error(`seed must be an integer 0..2147483647, got ${seed}`);
  const started = performance.now();
  const step = (name: string) => options.onStep?.(name);
  step('starting TensorFlow.js');
  const backend = await initBackend(progress);
  step('refreshing the order snapshot');
  // One consistent snapshot of the counted orders and refunds for every window and for scoring
  // (model_purchases, model_refunds), analyzed so every window reads it through its (customer, day) index
  // in order instead of sorting it (a refresh does not update statistics).
  await sql`select salesdash_internal.refresh_model_snapshot()`;
  progress(`order snapshot refreshed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  step('choosing the training windows');

  // The first and last counted purchase, from the snapshot every window reads.
  const [span] = await sql<{ reference_date: string | null; first_date: string | null }[]>`
    select max(purchased_on)::text as reference_date, min(purchased_on)::text as first_date
    from salesdash_internal.model_purchases`;
  if (!span.reference_date || !span.first_date) throw new NotEnoughHistory('no counted orders to learn from; import or generate data first');
  // A tuning fold moves the reference date back; every window below follows it.
  const referenceDate = addDays(span.reference_date, -foldsBack * horizonDays);
  const holdoutAsOf = addDays(referenceDate, -horizonDays);
  const validationAsOf = addDays(referenceDate, -2 * horizonDays);
  // Only sizes the subsample, so people who never completed an order may count too; cheaper than the view.
  const [{ people }] = await sql<{ people: number }[]>`
    select count(distinct customer_unique_id)::int as people from raw.customers
  `;
  const maxTrainingRows = options.maxTrainingRows ?? 300_000;
  // Stack earlier windows until there are enough training rows (a small shop needs many, a big one few:
  // each window costs one pass over all orders), never more than asked and never before the data starts.
  const wantedWindows = options.trainingWindows ?? Math.min(12, Math.max(3, Math.ceil(maxTrainingRows / Math.max(1, people))));
  const trainingAsOf: string[] = [];
  for (let k = 1; k <= wantedWindows; k++) {
    const asOf = addDays(referenceDate, -(k + 2) * horizonDays);
    // A window needs customers with some history before it; earlier ones only add noise.
    if (asOf < addDays(span.first_date, horizonDays)) break;
    trainingAsOf.push(asOf);
  }
  if (!trainingAsOf.length) {
    const days = Math.round((Date.parse(referenceDate) - Date.parse(span.first_date)) / 86_400_000);
    throw new NotEnoughHistory(
      `the data spans ${span.first_date}..${referenceDate}, ${days} days from the first purchase to the last: too short for ` +
        `${horizonDays}-day windows, which need at least ${4 * horizonDays} (a training, a validation and a holdout window after a first window of history)`,
    );
  }
  const trainingShare = Math.min(1, maxTrainingRows / (trainingAsOf.length * Math.max(1, people)));
  // Early stopping predicts the validation window every epoch, so it gets fewer rows than the holdout.
  const validationShare = Math.min(1, (options.maxEvaluationRows ?? 200_000) / 2 / Math.max(1, people));
  const evaluationShare = Math.min(1, (options.maxEvaluationRows ?? 200_000) / Math.max(1, people));

  progress(`windows: training as of ${trainingAsOf.join(', ')}; validation as of ${validationAsOf}; holdout as of ${holdoutAsOf}; reference ${referenceDate}`);
  step('loading features');
  // The feature list as the database defines it now (customer_training_row); every window and the model use it.
  const featureSet = await readFeatureSet(sql);
  const windows: LabelledRows[] = [];
  for (const asOf of trainingAsOf) windows.push(await loadLabelledRows(sql, featureSet, asOf, horizonDays, trainingShare));
  const training = concatRows(windows);
  const validation = await loadLabelledRows(sql, featureSet, validationAsOf, horizonDays, validationShare);
  const holdout = await loadLabelledRows(sql, featureSet, holdoutAsOf, horizonDays, evaluationShare);
  const trainingCustomers = new Set(training.customerIds).size;
  progress(`features loaded: ${training.labels.length} training rows (${trainingCustomers} customers over ${trainingAsOf.length} windows)${trainingShare < 1 ? ` (subsample ${round(trainingShare, 4)} of people)` : ''}, ${validation.labels.length} validation customers, ${holdout.labels.length} holdout customers`);

  const holdoutWindow = { features_as_of: holdoutAsOf, labels_from: addDays(holdoutAsOf, 1), labels_to: referenceDate, customers: holdout.labels.length };
  const validationWindow = { features_as_of: validationAsOf, labels_from: addDays(validationAsOf, 1), labels_to: holdoutAsOf, customers: validation.labels.length };
  const windowsRecord: RunWindows = {
    model_trained_date: new Date().toISOString().slice(0, 10),
    training_samples: training.labels.length,
    training_customers: trainingCustomers,
    base_rate: round(buyers(holdout.labels) / Math.max(1, holdout.labels.length)),
    horizon_days: horizonDays,
    backend,
    reference_date: referenceDate,
    holdout: holdoutWindow,
    validation: validationWindow,
    training_windows: trainingAsOf,
    training_sample_share: round(trainingShare),
  };
  // The holdout first: it is what every reported figure is about.
  const windowOutcomes: WindowOutcome[] = [
    { name: 'holdout window', labelsFrom: holdoutWindow.labels_from, labelsTo: holdoutWindow.labels_to, rows: holdout.labels.length, buyers: buyers(holdout.labels) },
    { name: 'validation window', labelsFrom: validationWindow.labels_from, labelsTo: validationWindow.labels_to, rows: validation.labels.length, buyers: buyers(validation.labels) },
    {
      name: 'training windows',
      labelsFrom: addDays(trainingAsOf[trainingAsOf.length - 1]!, 1),
      labelsTo: addDays(trainingAsOf[0]!, horizonDays),
      rows: training.labels.length,
      buyers: buyers(training.labels),
    },
  ];
  const early = refusal(windowOutcomes);
  if (early !== undefined) {
    progress(`not training: ${early}`);
    return { trained: false, refusal: early, metrics: windowsRecord, referenceDate, horizonDays, backend, seed, progress, step };
  }

  // BG/NBD and Gamma-Gamma, fitted on every holdout customer's history up to the holdout's as-of date (nothing
  // after it): the classic baselines, two of the network's inputs, and the parts of expected revenue.
  const { parameters, gammaGamma, repeatSpend } = fitClassicModels(holdout);
  const inputsOf = (rows: LabelledRows) => ({ features: modelInputs(rows, parameters, horizonDays), labels: rows.labels });

  // The network.
  step('training the network');
  const trainingInputs = inputsOf(training);
  const validationInputs = inputsOf(validation);
  const holdoutInputs = inputsOf(holdout);
  const scaling = fitScaling(trainingInputs.features, inputNames(featureSet).length);
  const { model, epochs, bestEpoch } = trainNetwork(trainingInputs, validationInputs, scaling, {
    ...options.network,
    seed,
    onEpoch: (epoch, score) => progress(`epoch ${epoch}: validation average precision ${score.toFixed(4)}`),
  });
  const validationLogits = predictLogits(model, scale(validationInputs.features, scaling));
  const calibration = fitCalibration(validationLogits, validation.labels);
  const threshold = maxF1Threshold(calibrate(validationLogits, calibration), validation.labels);
  const holdoutProbability = calibrate(predictLogits(model, scale(holdoutInputs.features, scaling)), calibration);
  const network = metricsOf(holdoutProbability, holdout.labels, threshold);
  const confidence = confidenceTable(holdoutProbability, holdout.labels, threshold);

  // Baseline 1: recency alone, as a logistic curve in log(1 + recency days) fitted on the training windows.
  const recencyFit = fitCalibration(recencyLogit(training), training.labels);
  const recencyThreshold = maxF1Threshold(calibrate(recencyLogit(validation), recencyFit), validation.labels);
  const { confusion_matrix: _rc, ...recency } = metricsOf(calibrate(recencyLogit(holdout), recencyFit), holdout.labels, recencyThreshold);

  // Baseline 2: BG/NBD's own probability of at least one purchase in the horizon.
  const bgnbdThreshold = maxF1Threshold(bgnbdProbabilities(parameters, validation, horizonDays), validation.labels);
  const { confusion_matrix: _bc, ...bgnbd } = metricsOf(bgnbdProbabilities(parameters, holdout, horizonDays), holdout.labels, bgnbdThreshold);

  // Expected revenue (spend.ts): the network's weight chosen on the validation window (its calibrated
  // probabilities and actual revenue), the totals from the holdout's features; then ours and both classic
  // forecasts against what each holdout customer actually bought.
  const holdoutParts = spendParts(holdoutProbability, parameters, gammaGamma, holdout, horizonDays);
  // The weight is judged on the validation window with BG/NBD and Gamma-Gamma refitted on its own cut: the
  // holdout's fit has seen the validation window's purchases, which would favour the classic side.
  const validationClassic = fitClassicModels(validation);
  const validationParts = spendParts(calibrate(validationLogits, calibration), validationClassic.parameters, validationClassic.gammaGamma, validation, horizonDays);
  const { model: spendModel, tried } = fitSpendModel(gammaGamma, { parts: validationParts, revenue: validation.revenue }, holdoutParts);
  progress(`expected revenue on the validation window: exponents of purchase days and value ${spendModel.value_exponents.purchase_days.toFixed(3)}, ${spendModel.value_exponents.day_value.toFixed(3)}`);
  progress(`  by network weight: ${tried.map((v) => `${v.network_weight}: Spearman ${v.spearman.toFixed(4)}, top 10% ${v.top_decile_capture.toFixed(4)}`).join('; ')}`);
  const holdoutSpend = expectedSpend(holdoutParts, spendModel);
  const spend: SpendMetrics = {
    horizon_days: horizonDays,
    actual_revenue: round(holdout.revenue.reduce((a, b) => a + b, 0), 2),
    model: spendModelDescription(spendModel),
    network: spendFigures(holdoutSpend.revenue, holdout.revenue),
    baselines: {
      bgnbd_gamma_gamma: spendFigures(bgnbdGammaGammaRevenue(parameters, gammaGamma, holdout, horizonDays), holdout.revenue),
      run_rate: spendFigures(runRateRevenue(holdout, horizonDays), holdout.revenue),
    },
    gamma_gamma: {
      p: round(gammaGamma.p), q: round(gammaGamma.q), gamma: round(gammaGamma.gamma),
      repeat_customers: repeatSpend.length,
      // Gamma-Gamma assumes how often and how much are independent: repeat purchase days against value per day.
      frequency_value_correlation: round(correlation(repeatSpend.map((h) => h.x - 1), repeatSpend.map((h) => h.m))),
    },
  };
  const trainSeconds = (performance.now() - started) / 1000;
  progress(`holdout ROC AUC ${network.roc_auc.toFixed(4)} (recency ${recency.roc_auc.toFixed(4)}, BG/NBD ${bgnbd.roc_auc.toFixed(4)}); PR AUC ${network.pr_auc.toFixed(4)} (recency ${recency.pr_auc.toFixed(4)}, BG/NBD ${bgnbd.pr_auc.toFixed(4)})`);

  const metrics: ModelMetrics = {
    accuracy: network.accuracy,
    f1_score: network.f1_score,
    precision: network.precision,
    recall: network.recall,
    confusion_matrix: network.confusion_matrix,
    ...windowsRecord,
    roc_auc: network.roc_auc,
    pr_auc: network.pr_auc,
    brier_score: network.brier_score,
    threshold: network.threshold,
    threshold_method: 'maximum F1 on the validation window (probabilities Platt-calibrated on the same window)',
    epochs: bestEpoch,
    baselines: { recency, bgnbd: { ...bgnbd, parameters: { r: round(parameters.r), alpha: round(parameters.alpha), a: round(parameters.a), b: round(parameters.b) } } },
    curves: { roc: rocCurve(holdoutProbability, holdout.labels), pr: prCurve(holdoutProbability, holdout.labels) },
    probability_histogram: { lower_bound: [], customers: [] },
    spend,
  };
  progress(`holdout expected revenue: Spearman ${spend.network.spearman.toFixed(4)} (BG/NBD × Gamma-Gamma ${spend.baselines.bgnbd_gamma_gamma.spearman.toFixed(4)}, run rate ${spend.baselines.run_rate.spearman.toFixed(4)})`);
  progress(`trained in ${trainSeconds.toFixed(1)} s (${epochs} epochs, best ${bestEpoch})`);
  return {
    trained: true, model, featureSet, scaling, calibration, parameters, spendModel, threshold, confidence, metrics, referenceDate, horizonDays, backend, seed, progress, step, trainSeconds,
    refusal: refusal(windowOutcomes, metrics),
  };
}

/**
 * Records a training that must not be published (rejected_reason set, never current) and returns the error
 * that says so. The current model, its metrics and its predictions are not touched.
 */
async function recordRefusal(sql: Sql, run: Fitted | RefusedEarly, reason: string): Promise<ModelNotPublished> {
  run.step('recording the refused run');
  // A trained network is kept for inspection; one refused before training has none.
  const artifact = run.trained ? modelArtifact(run) : null;
  if (run.trained) run.model.dispose();
  // jsonb cannot hold NaN or Infinity (and JSON turns them into null anyway): store null, with the reason.
  const metrics = storable(run.metrics);
  const [{ id }] = await sql<{ id: number }[]>`
    insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact, rejected_reason)
    values (${run.referenceDate}, ${run.horizonDays}, ${run.backend}, ${run.seed},
            ${sql.json(metrics as never)}, ${artifact === null ? null : sql.json(artifact as never)}, ${reason})
    returning id::int
  `;
  const [current] = await sql<{ id: number }[]>`select id::int from salesdash_internal.model_runs where is_current`;
  run.progress(`model run ${id} recorded, not published`);
  return new ModelNotPublished(id, reason, current?.id, metrics as unknown as Record<string, unknown>);
}

/** Everything needed to score without files (salesdash_internal.model_runs.artifact). */
function modelArtifact(input: StoreInput) {
  return {
    network: exportNetwork(input.model, inputNames(input.featureSet), input.scaling, input.calibration),
    bgnbd_parameters: input.parameters,
    spend: input.spendModel,
    threshold: input.threshold,
    confidence: input.confidence,
    horizon_days: input.horizonDays,
  };
}

interface StoreInput extends RunContext {
  model: tf.LayersModel;
  /** The features the model was trained on. */
  featureSet: FeatureSet;
  scaling: Scaling;
  calibration: Calibration;
  parameters: BgNbdParameters;
  spendModel: SpendModel;
  threshold: number;
  confidence: ConfidenceTable;
  metrics: ModelMetrics;
}

/**
 * Stores the run and rewrites salesdash.predictions in one transaction: readers keep seeing the previous
 * model's rows (and metrics) until the new ones are complete; a failure leaves them untouched.
 */
async function storeAndScore(sql: Sql, input: StoreInput, shopEmptied: number): Promise<{ modelRunId: number; predictions: number }> {
  const artifact = modelArtifact(input);
  // Scoring goes by the stored model's feature names, as any scoring with a stored model must, and refuses if
  // the database's feature list is no longer the one the model learned from.
  const features = await featuresForModel(sql, trainedFeatureNames(artifact.network.input_names));
  return sql.begin(async (tx) => {
    input.step('checking the shop was not emptied while training');
    await assertShopNotEmptiedSince(tx, shopEmptied, 'the training');
    input.step('storing the model run');
    const [{ id }] = await tx<{ id: number }[]>`
      insert into salesdash_internal.model_runs (reference_date, horizon_days, backend, seed, metrics, artifact)
      values (${input.referenceDate}, ${input.horizonDays}, ${input.backend}, ${input.seed},
              ${tx.json(input.metrics as never)}, ${tx.json(artifact as never)})
      returning id::int
    `;
    await tx`delete from salesdash.predictions`;
    const writable = await tx`
      copy salesdash.predictions (customer_id, purchase_probability, predicted_label, confidence, prediction_date, model_run_id, expected_orders, expected_revenue)
      from stdin
    `.writable();
    // The COPY stream fails when its connection does. Without a listener from the start, that 'error' event
    // would be an uncaught exception instead of this training's failure.
    let copyFailure: Error | undefined;
    writable.on('error', (error) => (copyFailure ??= error));
    input.step('scoring customers');
    const histogram = probabilityHistogram();
    const runColumns = `\t${input.referenceDate}\t${id}\t`;
    let scored = 0;
    try {
      for await (const batch of streamFeatureCopy(sql, features, input.referenceDate)) {
        if (copyFailure) throw copyFailure;
        const rows = batch.copyIds.length;
        const batchRows = { customerIds: batch.copyIds, features: batch.features, featureSet: batch.featureSet };
        const inputs = modelInputs(batchRows, input.parameters, input.horizonDays);
        const probabilities = calibrate(predictLogits(input.model, scale(inputs, input.scaling)), input.calibration);
        const parts = spendParts(probabilities, input.parameters, input.spendModel.gamma_gamma, batchRows, input.horizonDays);
        const spend = expectedSpend(parts, input.spendModel);
        // The ids are still in COPY text escaping, which is what this COPY expects back.
        let lines = '';
        for (let i = 0; i < rows; i++) {
          const p = probabilities[i];
          histogram.add(p);
          lines += `${batch.copyIds[i]}\t${p}\t${p >= input.threshold}\t${confidenceOf(input.confidence, p)}${runColumns}${spend.orders[i]}\t${spend.revenue[i].toFixed(2)}\n`;
        }
        scored += rows;
        // once() also rejects when the stream fails while waiting, where a bare 'drain' would never come.
        if (!writable.write(lines)) await once(writable, 'drain');
        input.progress(`scored ${scored} customers`);
      }
    } catch (error) {
      // CopyFail ends the COPY so the transaction can roll back cleanly; the error is rethrown below.
      writable.destroy(error as Error);
      throw error;
    }
    writable.end();
    await finished(writable);
    input.step('committing');
    const metrics = { ...input.metrics, probability_histogram: histogram.result() };
    await tx`update salesdash_internal.model_runs set is_current = false where is_current`;
    await tx`update salesdash_internal.model_runs set is_current = true, metrics = ${tx.json(metrics as never)} where id = ${id}`;
    // With the new model current, in the same transaction: readers never see segment forecasts of another model.
    // It waits for a refresh in progress (whose forecasts are of the previous model) to commit first.
    await writeSegmentForecasts(tx);
    input.metrics.probability_histogram = metrics.probability_histogram;
    return { modelRunId: id, predictions: scored };
  });
}
