// Pure functions that turn API JSON into what the charts and tables draw. uPlot wants columnar data
// `[xs, ...ys]` with xs ascending, so every chart's data is made here, where it can be unit tested without
// a browser. The API contract leaves most nested fields optional, so a field that is absent counts as
// empty (0 for a count) rather than breaking a chart.
import type { BaselineFigures, HistogramColumns, ModelMetrics, MonthlyColumns, SegmentsResponse, SpendFigures } from './api.ts';

export type Columns = [number[], ...number[][]];

/** Columns where a value may be missing: uPlot leaves a gap (no bar) for null rather than drawing a 0. */
export type GappyColumns = [number[], ...(number | null)[][]];

export interface SegmentBars {
  labels: string[];
  /**
   * [segment index, customers, revenue share in percent] and, when the shop has a forecast, each segment's
   * share of the expected revenue in percent (null where the segment's customers are not scored).
   */
  data: GappyColumns;
  /** Whether the expected revenue column is there (a forecast exists). */
  expected: boolean;
}

export type Forecast = NonNullable<SegmentsResponse['forecast']>;

/**
 * The shop's forecast for the next period, or null while no model has scored anyone. An older server that
 * does not send the field counts as "no forecast", so every expected figure is hidden rather than shown as 0.
 */
export function forecastOf(response: SegmentsResponse): Forecast | null {
  return response.forecast ?? null;
}

/** The shop's segment names in display order: those of the published refresh, the ones a filter may use. */
export function segmentNames(response: SegmentsResponse): string[] {
  const details = response.segment_details;
  return details && details.length > 0 ? details.map((d) => d.segment ?? '') : Object.keys(response.segments);
}

/** Customers, revenue share and (with a forecast) expected revenue share per segment, in display order. */
export function segmentBars(response: SegmentsResponse): SegmentBars {
  const details = response.segment_details;
  const labels = segmentNames(response);
  if (details && details.length > 0) {
    const data: GappyColumns = [details.map((_, i) => i), details.map((d) => d.customers ?? 0), details.map((d) => round((d.revenue_share ?? 0) * 100, 2))];
    const forecast = forecastOf(response);
    // Shares of the shop's forecast, on the same percent axis as the revenue shares: "where next period's money
    // comes from" beside "where the money came from". A total of 0 has no shares.
    if (forecast) data.push(details.map((d) => (d.expected_revenue == null || !(forecast.expected_revenue > 0) ? null : round((d.expected_revenue / forecast.expected_revenue) * 100, 2))));
    return { labels, data, expected: forecast !== null };
  }
  // Without details only counts are known; the revenue share column stays zero rather than invented.
  return { labels, data: [labels.map((_, i) => i), labels.map((s) => response.segments[s] ?? 0), labels.map(() => 0)], expected: false };
}

/**
 * The header's "RFM as of": the published refresh's reference date. A refresh that found no counted purchase has
 * none, so it says that and the day it ran (UTC); an older server without `refreshed_at` reads as not refreshed.
 */
export function rfmAsOf(response: Pick<SegmentsResponse, 'last_updated' | 'refreshed_at'>): string {
  if (response.last_updated) return response.last_updated;
  if (response.refreshed_at) return `no purchases (refreshed ${response.refreshed_at.slice(0, 10)})`;
  return 'not refreshed yet';
}

/** "next 30 days", or with a start "30 days after 2018-08-31": the period a forecast covers. */
export function horizonText(horizonDays: number | null | undefined, after?: string): string {
  if (horizonDays == null) return after ? `period after ${after}` : 'next period';
  const days = `${formatInteger(horizonDays)} day${horizonDays === 1 ? '' : 's'}`;
  return after ? `${days} after ${after}` : `next ${days}`;
}

/** Parses 'YYYY-MM-DD' as a UTC date and returns uPlot's time unit (seconds since the epoch). */
export function dateToSeconds(date: string): number {
  const [year, month, day] = date.slice(0, 10).split('-').map(Number);
  if (!year || !month || !day) throw new Error(`not a date: ${date}`);
  return Date.UTC(year, month - 1, day) / 1000;
}

/** [month start in seconds, revenue, active customers], sorted by month. */
export function monthlySeries(monthly: MonthlyColumns | undefined): Columns {
  const { month = [], revenue = [], active_customers: active = [] } = monthly ?? {};
  if (month.length === 0) return [[], [], []];
  const order = month.map((m, i) => ({ x: dateToSeconds(m), i })).sort((a, b) => a.x - b.x);
  return [order.map((o) => o.x), order.map((o) => revenue[o.i] ?? 0), order.map((o) => active[o.i] ?? 0)];
}

export interface HistogramBars {
  /** Axis label of each bucket, e.g. "0–30". */
  labels: string[];
  /** [bucket index, customers] */
  data: Columns;
}

/**
 * One bar per bucket; buckets are drawn at their index so skewed bounds (monetary) still get equal width. A bucket
 * is [lower, upper) and the last one also holds everything above (rfm_histograms), so it reads "20+". With
 * `wholeNumbers` (order counts) a bucket one wide holds one value and reads "3".
 */
export function histogramBars(histogram: HistogramColumns | undefined, { digits = 0, wholeNumbers = false } = {}): HistogramBars {
  if (!histogram || histogram.customers.length === 0) return { labels: [], data: [[], []] };
  const last = histogram.lower_bound.length - 1;
  const labels = histogram.lower_bound.map((low, i) => {
    const upper = histogram.upper_bound[i] ?? low;
    if (i === last) return `${compactNumber(low, digits)}+`;
    if (wholeNumbers && upper - low === 1) return compactNumber(low, digits);
    return `${compactNumber(low, digits)}–${compactNumber(upper, digits)}`;
  });
  return { labels, data: [histogram.customers.map((_, i) => i), histogram.customers.slice()] };
}

/**
 * Sorts a curve's points by x (ties by y) so uPlot can draw it; the input arrays are parallel columns.
 * Points with a missing or non-finite coordinate are dropped.
 */
export function sortedCurve(xs: number[], ys: number[]): [number[], number[]] {
  const points: [number, number][] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) points.push([x, y]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return [points.map((p) => p[0]), points.map((p) => p[1])];
}

/** [false positive rate, true positive rate, chance diagonal]. */
export function rocSeries(metrics: ModelMetrics): Columns {
  const roc = metrics.curves?.roc;
  if (!roc) return [[], [], []];
  const [fpr, tpr] = sortedCurve(roc.fpr ?? [], roc.tpr ?? []);
  return [fpr, tpr, fpr.slice()];
}

/** [recall, precision, base rate]: the base rate is what a model that guesses at random reaches. */
export function precisionRecallSeries(metrics: ModelMetrics): Columns {
  const pr = metrics.curves?.pr;
  if (!pr) return [[], [], []];
  const [recall, precision] = sortedCurve(pr.recall ?? [], pr.precision ?? []);
  const baseRate = metrics.base_rate ?? NaN;
  return [recall, precision, recall.map(() => baseRate)];
}

/** [bucket index, customers] of predicted probabilities with labels like "0.1–0.2". */
export function probabilityBars(metrics: ModelMetrics): HistogramBars {
  const { customers = [], lower_bound: bounds = [] } = metrics.probability_histogram ?? {};
  if (customers.length === 0) return { labels: [], data: [[], []] };
  // Buckets are equal width; the last upper bound is 1 (a probability).
  const labels = bounds.map((low, i) => `${round(low, 2)}–${round(bounds[i + 1] ?? 1, 2)}`);
  return { labels, data: [customers.map((_, i) => i), customers.slice()] };
}

// The figures the model and its baselines share, in the table's column order.
const figureKeys = ['roc_auc', 'pr_auc', 'brier_score', 'accuracy', 'precision', 'recall', 'f1_score'] as const satisfies readonly (keyof BaselineFigures)[];

/** One predictor's figures; null where the API sent none. */
export type ComparisonRow = { name: string } & Record<(typeof figureKeys)[number], number | null>;

/** The model and each baseline as one table row each, so an analyst sees what the model adds. */
export function modelComparison(metrics: ModelMetrics): ComparisonRow[] {
  const row = (name: string, source: Partial<Record<(typeof figureKeys)[number], number | null>>): ComparisonRow => {
    const result = { name } as ComparisonRow;
    for (const key of figureKeys) result[key] = typeof source[key] === 'number' ? (source[key] as number) : null;
    return result;
  };
  const rows = [row('Model', metrics)];
  if (metrics.baselines?.recency) rows.push(row('Recency only', metrics.baselines.recency));
  if (metrics.baselines?.bgnbd) rows.push(row('BG/NBD', metrics.baselines.bgnbd));
  return rows;
}

// The spend figures of the model and its baselines, in the spend table's column order.
const spendKeys = ['spearman', 'top_decile_capture', 'total_error', 'mae', 'predicted_revenue'] as const satisfies readonly (keyof SpendFigures)[];
type SpendKey = (typeof spendKeys)[number];

/** One spend forecaster's holdout figures; null where the API sent none. */
export type SpendRow = { name: string } & Record<SpendKey, number | null>;

export interface SpendComparison {
  rows: SpendRow[];
  horizonDays: number | null;
  actualRevenue: number | null;
  /** What the predictions' expected_revenue comes from, as the trainer names it. */
  model: string | null;
  /** Gamma-Gamma's independence check: correlation of repeat purchases and average order value. */
  correlation: number | null;
  repeatCustomers: number | null;
}

/**
 * The expected-spend figures of the model and both baselines, so an analyst sees whether the model's revenue
 * forecast beats the classic BG/NBD x Gamma-Gamma; null for a model trained before spend was measured.
 */
export function spendComparison(metrics: ModelMetrics): SpendComparison | null {
  const spend = metrics.spend;
  if (!spend) return null;
  const row = (name: string, source: SpendFigures): SpendRow => {
    const result = { name } as SpendRow;
    for (const key of spendKeys) result[key] = typeof source[key] === 'number' ? (source[key] as number) : null;
    return result;
  };
  const rows: SpendRow[] = [];
  if (spend.network) rows.push(row('Model', spend.network));
  if (spend.baselines?.bgnbd_gamma_gamma) rows.push(row('BG/NBD × Gamma-Gamma', spend.baselines.bgnbd_gamma_gamma));
  if (spend.baselines?.run_rate) rows.push(row('Run-rate', spend.baselines.run_rate));
  if (rows.length === 0) return null;
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    rows,
    horizonDays: number(spend.horizon_days),
    actualRevenue: number(spend.actual_revenue),
    model: typeof spend.model === 'string' && spend.model ? spend.model : null,
    correlation: number(spend.gamma_gamma?.frequency_value_correlation),
    repeatCustomers: number(spend.gamma_gamma?.repeat_customers),
  };
}

/**
 * The rows with the best value of `key` (highest, or lowest with `lowest`; by size with `absolute`): every row
 * that ties for it, so two forecasters with the same figure are both marked. Empty when no row has the figure.
 */
export function bestRows(rows: readonly SpendRow[], key: SpendKey, { lowest = false, absolute = false } = {}): number[] {
  const values = rows.map((row) => {
    const raw = row[key];
    return raw == null || !Number.isFinite(raw) ? null : absolute ? Math.abs(raw) : raw;
  });
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return [];
  const best = lowest ? Math.min(...present) : Math.max(...present);
  return values.flatMap((v, i) => (v === best ? [i] : []));
}

/**
 * What the model learned from, counted right: customers are people, training rows are one per customer and
 * training window (a customer in four windows is four rows), so rows are never called customers.
 */
export function trainingCounts(metrics: Pick<ModelMetrics, 'training_samples' | 'training_customers' | 'training_windows'>): string {
  const rows = `${formatInteger(metrics.training_samples)} training rows`;
  if (metrics.training_customers == null) return rows;
  const windows = metrics.training_windows?.length;
  const perWindow = windows ? `one per customer and window, ${windows} window${windows === 1 ? '' : 's'}` : 'one per customer and window';
  return `${formatInteger(metrics.training_customers)} customers (${rows}: ${perWindow})`;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** 1234 -> "1.2k", 1500000 -> "1.5M": short axis labels that fit a phone screen. */
export function compactNumber(value: number, digits = 0): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${round(value / 1e6, 1)}M`;
  if (abs >= 1e4) return `${round(value / 1e3, 0)}k`;
  if (abs >= 1e3) return `${round(value / 1e3, 1)}k`;
  return String(round(value, digits));
}

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const moneyFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A figure the API did not send (or sent as null) is shown as a dash by every format below. */
function shown(value: number | null | undefined, format: (value: number) => string): string {
  return typeof value === 'number' && Number.isFinite(value) ? format(value) : '–';
}

export function formatInteger(value: number | null | undefined): string {
  return shown(value, (v) => integerFormat.format(v));
}

/** A count that need not be whole (expected orders): grouped, at most `digits` decimals. */
export function formatDecimal(value: number | null | undefined, digits = 1): string {
  return shown(value, (v) => v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits }));
}

export function formatMoney(value: number | null | undefined): string {
  return shown(value, (v) => moneyFormat.format(v));
}

/** 0.4567 -> "45.7%" */
export function formatShare(value: number | null | undefined, digits = 1): string {
  return shown(value, (v) => `${(v * 100).toFixed(digits)}%`);
}

export function formatFigure(value: number | null | undefined, digits = 3): string {
  return shown(value, (v) => v.toFixed(digits));
}

/** 0.148 -> "+14.8%", -0.05 -> "−5.0%" (a true minus sign): over- and under-forecasts read apart at a glance. */
export function formatSignedShare(value: number | null | undefined, digits = 1): string {
  return shown(value, (v) => {
    const text = `${(Math.abs(v) * 100).toFixed(digits)}%`;
    // Rounds to zero: no sign, "+0.0%" would claim a direction there is none.
    if (Number(text.slice(0, -1)) === 0) return text;
    return `${v > 0 ? '+' : '\u2212'}${text}`;
  });
}

/** A money figure the model has not produced (null) is an em dash: "not scored", never 0. */
export function formatExpectedMoney(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? formatMoney(value) : '\u2014';
}
