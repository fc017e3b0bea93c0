// Pure functions that turn API JSON into what the charts and tables draw. uPlot wants columnar data
// `[xs, ...ys]` with xs ascending, so every chart's data is made here, where it can be unit tested without
// a browser. The API contract leaves most nested fields optional, so a field that is absent counts as
// empty (0 for a count) rather than breaking a chart.
import type { BaselineFigures, HistogramColumns, ModelMetrics, MonthlyColumns, SegmentsResponse } from './api.ts';

export type Columns = [number[], ...number[][]];

export interface SegmentBars {
  labels: string[];
  /** [segment index, customers, revenue share in percent] */
  data: Columns;
}

/** Customers and revenue share per segment, in the rules' display order (segment_details) when present. */
export function segmentBars(response: SegmentsResponse): SegmentBars {
  const details = response.segment_details;
  if (details && details.length > 0) {
    return {
      labels: details.map((d) => d.segment ?? ''),
      data: [details.map((_, i) => i), details.map((d) => d.customers ?? 0), details.map((d) => round((d.revenue_share ?? 0) * 100, 2))],
    };
  }
  // Without details only counts are known; the revenue share column stays zero rather than invented.
  const labels = Object.keys(response.segments);
  return { labels, data: [labels.map((_, i) => i), labels.map((s) => response.segments[s] ?? 0), labels.map(() => 0)] };
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

/** One bar per bucket; buckets are drawn at their index so skewed bounds (monetary) still get equal width. */
export function histogramBars(histogram: HistogramColumns | undefined, digits = 0): HistogramBars {
  if (!histogram || histogram.customers.length === 0) return { labels: [], data: [[], []] };
  const labels = histogram.lower_bound.map((low, i) => `${compactNumber(low, digits)}–${compactNumber(histogram.upper_bound[i] ?? low, digits)}`);
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
