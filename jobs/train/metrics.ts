// Evaluation of probability scores against 0/1 outcomes: ranking (ROC AUC, average precision), calibration
// (Brier), decisions at a threshold, and the downsampled curves the dashboard draws. Pure functions on typed
// arrays, so a million holdout customers cost one sort.

export interface Confusion {
  true_positive: number;
  true_negative: number;
  false_positive: number;
  false_negative: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1_score: number;
}

export interface ScoreMetrics extends ClassificationMetrics {
  roc_auc: number;
  pr_auc: number;
  brier_score: number;
}

type Scores = ArrayLike<number>;
type Labels = ArrayLike<number>;

/** Indices ordered by descending score (ties keep index order, so results are deterministic). */
function descendingOrder(scores: Scores): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}

function countPositives(labels: Labels): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] ? 1 : 0;
  return positives;
}

/**
 * Walks the thresholds from the highest score down, one step per distinct score (tied scores move together,
 * as a threshold cannot separate them), reporting true and false positives at each step.
 */
function thresholdSteps(scores: Scores, labels: Labels): { threshold: number; tp: number; fp: number }[] {
  const order = descendingOrder(scores);
  const steps: { threshold: number; tp: number; fp: number }[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (labels[i]) tp++;
    else fp++;
    const next = k + 1 < order.length ? scores[order[k + 1]] : Number.NaN;
    if (next !== scores[i]) steps.push({ threshold: scores[i], tp, fp });
  }
  return steps;
}

/** Area under the ROC curve (trapezoids between distinct scores = the Mann–Whitney statistic with ties as ½). */
export function rocAuc(scores: Scores, labels: Labels): number {
  const positives = countPositives(labels);
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  let area = 0;
  let previousTp = 0;
  let previousFp = 0;
  for (const { tp, fp } of thresholdSteps(scores, labels)) {
    area += ((fp - previousFp) * (tp + previousTp)) / 2;
    previousTp = tp;
    previousFp = fp;
  }
  return area / (positives * negatives);
}

/** Average precision: Σ (recall_k − recall_{k−1}) · precision_k over distinct thresholds (the usual PR AUC). */
export function averagePrecision(scores: Scores, labels: Labels): number {
  const positives = countPositives(labels);
  if (positives === 0) return Number.NaN;
  let sum = 0;
  let previousTp = 0;
  for (const { tp, fp } of thresholdSteps(scores, labels)) {
    sum += ((tp - previousTp) / positives) * (tp / (tp + fp));
    previousTp = tp;
  }
  return sum;
}

export function brierScore(probabilities: Scores, labels: Labels): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += (probabilities[i] - (labels[i] ? 1 : 0)) ** 2;
  return sum / labels.length;
}

/** Predicted positive when probability >= threshold. */
export function confusionAt(probabilities: Scores, labels: Labels, threshold: number): Confusion {
  const c: Confusion = { true_positive: 0, true_negative: 0, false_positive: 0, false_negative: 0 };
  for (let i = 0; i < labels.length; i++) {
    const predicted = probabilities[i] >= threshold;
    if (predicted && labels[i]) c.true_positive++;
    else if (predicted) c.false_positive++;
    else if (labels[i]) c.false_negative++;
    else c.true_negative++;
  }
  return c;
}

export function classification(c: Confusion): ClassificationMetrics {
  const total = c.true_positive + c.true_negative + c.false_positive + c.false_negative;
  const predictedPositive = c.true_positive + c.false_positive;
  const actualPositive = c.true_positive + c.false_negative;
  const precision = predictedPositive ? c.true_positive / predictedPositive : 0;
  const recall = actualPositive ? c.true_positive / actualPositive : 0;
  return {
    accuracy: total ? (c.true_positive + c.true_negative) / total : 0,
    precision,
    recall,
    f1_score: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
  };
}

/** The threshold with the highest F1 on the given (validation) scores; ties go to the higher threshold. */
export function maxF1Threshold(probabilities: Scores, labels: Labels): number {
  const positives = countPositives(labels);
  let best = { f1: -1, threshold: 0.5 };
  for (const { threshold, tp, fp } of thresholdSteps(probabilities, labels)) {
    const f1 = positives ? (2 * tp) / (tp + fp + positives) : 0;
    if (f1 > best.f1) best = { f1, threshold };
  }
  return best.threshold;
}

/** Every figure the metrics body carries for one scorer on one labelled set. */
export function scoreMetrics(probabilities: Scores, labels: Labels, threshold: number): ScoreMetrics & { confusion: Confusion } {
  const confusion = confusionAt(probabilities, labels, threshold);
  return {
    ...classification(confusion),
    roc_auc: rocAuc(probabilities, labels),
    pr_auc: averagePrecision(probabilities, labels),
    brier_score: brierScore(probabilities, labels),
    confusion,
  };
}

/** Keeps about `points` evenly spaced entries (always the first and last), so curves stay small in JSON. */
function downsample<T>(values: T[], points: number): T[] {
  if (values.length <= points) return values;
  const kept: T[] = [];
  for (let k = 0; k < points; k++) kept.push(values[Math.round((k * (values.length - 1)) / (points - 1))]);
  return kept;
}

export function rocCurve(scores: Scores, labels: Labels, points = 100): { fpr: number[]; tpr: number[] } {
  const positives = countPositives(labels);
  const negatives = labels.length - positives;
  const steps = [{ tp: 0, fp: 0 }, ...thresholdSteps(scores, labels)];
  const kept = downsample(steps, points);
  return {
    fpr: kept.map((s) => round(negatives ? s.fp / negatives : 0)),
    tpr: kept.map((s) => round(positives ? s.tp / positives : 0)),
  };
}

export function prCurve(scores: Scores, labels: Labels, points = 100): { recall: number[]; precision: number[] } {
  const positives = countPositives(labels);
  const kept = downsample(thresholdSteps(scores, labels), points);
  return {
    recall: kept.map((s) => round(positives ? s.tp / positives : 0)),
    precision: kept.map((s) => round(s.tp / (s.tp + s.fp))),
  };
}

export interface ConfidenceTable {
  /** Upper probability bound of each decile but the last (ascending); a probability p falls in the first decile whose bound is >= p. */
  upper_bounds: number[];
  /** Share of correct decisions (at the threshold) on holdout customers of each decile. */
  accuracy: number[];
}

/**
 * Confidence = how often the model was right on holdout customers with a similar probability: the holdout
 * is cut into probability deciles and each decile's accuracy at the decision threshold is recorded.
 */
export function confidenceTable(probabilities: Scores, labels: Labels, threshold: number, groups = 10): ConfidenceTable {
  const order = Array.from(descendingOrder(probabilities)).reverse();
  const upperBounds: number[] = [];
  const accuracy: number[] = [];
  let start = 0;
  for (let g = 1; g <= groups && start < order.length; g++) {
    let end = g === groups ? order.length : Math.round((g * order.length) / groups);
    // A decile never splits tied probabilities: the same probability must get the same confidence.
    while (end < order.length && end > start && probabilities[order[end]] === probabilities[order[end - 1]]) end++;
    if (end <= start) continue;
    let correct = 0;
    for (let k = start; k < end; k++) {
      const i = order[k];
      if ((probabilities[i] >= threshold) === Boolean(labels[i])) correct++;
    }
    upperBounds.push(probabilities[order[end - 1]]);
    accuracy.push(round(correct / (end - start)));
    start = end;
  }
  return { upper_bounds: upperBounds.slice(0, -1), accuracy };
}

export function confidenceOf(table: ConfidenceTable, probability: number): number {
  let group = 0;
  while (group < table.upper_bounds.length && probability > table.upper_bounds[group]) group++;
  return table.accuracy[group];
}

/** Customers per probability bucket of width 1/buckets, for the dashboard's histogram. */
export function probabilityHistogram(buckets = 10): { add(p: number): void; result(): { lower_bound: number[]; customers: number[] } } {
  const customers = new Array<number>(buckets).fill(0);
  return {
    add(p) {
      customers[Math.min(buckets - 1, Math.floor(p * buckets))]++;
    },
    result: () => ({ lower_bound: customers.map((_, k) => round(k / buckets)), customers }),
  };
}

/** Six decimals: enough for any figure shown, and what makes metrics equal "within rounding" across backends. */
export function round(value: number, decimals = 6): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Ranks 1..n of `values`, tied values sharing the average of their ranks. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => values[a] - values[b] || a - b);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    // Positions start..end−1 hold ranks start+1..end: their average.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson correlation of two equally long series (NaN when either is constant). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Spearman's rank correlation: Pearson's on average ranks (so ties, e.g. the many customers who buy nothing, count fairly). */
export function spearman(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  return correlation(averageRanks(predicted), averageRanks(actual));
}

/**
 * Share of the actual total bought by the tenth of customers predicted highest: the ceil(n/10) first by
 * descending prediction, ties in row order (rows come ordered by customer id, so ties go to the smaller id).
 * NaN when nothing was bought.
 */
export function topDecileCapture(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  const order = descendingOrder(predicted);
  const top = Math.ceil(order.length / 10);
  let captured = 0;
  let total = 0;
  for (let k = 0; k < order.length; k++) {
    const value = actual[order[k]];
    total += value;
    if (k < top) captured += value;
  }
  return captured / total;
}

export interface SpendFigures {
  spearman: number;
  mae: number;
  /** Predicted total / actual total − 1. */
  total_error: number;
  top_decile_capture: number;
  predicted_revenue: number;
}

/** How a per-customer revenue forecast matched what each customer then bought. */
export function spendFigures(predicted: ArrayLike<number>, actual: ArrayLike<number>): SpendFigures {
  let predictedTotal = 0;
  let actualTotal = 0;
  let absolute = 0;
  for (let i = 0; i < actual.length; i++) {
    predictedTotal += predicted[i];
    actualTotal += actual[i];
    absolute += Math.abs(predicted[i] - actual[i]);
  }
  return {
    spearman: round(spearman(predicted, actual)),
    mae: round(absolute / actual.length),
    total_error: round(predictedTotal / actualTotal - 1),
    top_decile_capture: round(topDecileCapture(predicted, actual)),
    predicted_revenue: round(predictedTotal, 2),
  };
}
