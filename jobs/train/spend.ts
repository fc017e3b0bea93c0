// Expected orders and revenue in the next horizon per customer, and the two classic forecasts they are judged
// against. All work on the SQL features (looked up by name), one pass per row: scoring a million customers
// adds about a second (mostly BG/NBD's E[X(t)] series).
//
// Our forecast starts from BG/NBD × Gamma-Gamma and lets the network re-rank it. BG/NBD's expected purchase
// days are P_BG(buy) · D, with D = E[X | X > 0] its purchase days given at least one (P(alive) cancels out of
// D); the network answers the first factor better (it ranks buyers better, docs/model.md), so
//   expected_revenue = c_rev · D^a · V^b · P_net^w · P_BG^(1−w),   V = E_GG[value of a purchase day]
//   expected_orders  = c_ord · D · orders per purchase day so far · P_net^w · P_BG^(1−w)
// a = b = 1 and w = 0 is the classic model, w = 1 a hurdle model with the network's probability. All three are
// fitted on the validation window, with BG/NBD and Gamma-Gamma refitted on that window's own cut (see
// train.ts): a and b by least squares of log revenue on log D and log V over the window's buyers (the classic
// revenue given a purchase spreads its customers too far apart: a, b ≈ 0.6–1 on every tuning fold), then w by
// the best Spearman correlation with the window's actual revenue, so a network that learned little (few
// windows, a long horizon) falls back towards BG/NBD. The totals c are BG/NBD × Gamma-Gamma's on the
// holdout's customers (features only, no outcome): the network re-distributes the classic forecast's
// total, it does not change it. On the tuning folds a total scaled to the validation window's actual revenue
// was further off (it carries the previous window's level into a shop whose cohort is changing; BG/NBD
// models that change).
import { expectedTransactions, historyFromFeatures, horizonWeeks, purchaseProbability, type BgNbdParameters } from './bgnbd.ts';
import type { FeatureBatch } from './features.ts';
import { expectedAverageValue, type GammaGammaParameters, type SpendHistory } from './gamma-gamma.ts';
import { round, spearman, topDecileCapture } from './metrics.ts';

/** What scoring needs besides the network and BG/NBD (stored in the artifact). */
export interface SpendModel {
  gamma_gamma: GammaGammaParameters;
  /** Exponents of D and V in the revenue given a purchase (1 and 1: the classic model's), fitted on the validation window. */
  value_exponents: ValueExponents;
  /** Weight of the network's probability against BG/NBD's (0..1), chosen on the validation window. */
  network_weight: number;
  /** Make the totals BG/NBD × Gamma-Gamma's (revenue) and BG/NBD × orders per purchase day's (orders). */
  revenue_scale: number;
  orders_scale: number;
}

export interface ValueExponents {
  purchase_days: number;
  day_value: number;
}

/** The classic model's revenue given a purchase, D · V. */
export const CLASSIC_EXPONENTS: ValueExponents = { purchase_days: 1, day_value: 1 };

/** The weights tried on the validation window. */
export const NETWORK_WEIGHTS = [0, 0.25, 0.5, 0.75, 1];

/** The short description stored as metrics.spend.model. */
export function spendModelDescription(model: SpendModel): string {
  const { purchase_days: a, day_value: b } = model.value_exponents;
  return `P(buy) = P_net^${model.network_weight} · P_BG/NBD^${round(1 - model.network_weight, 2)} × (BG/NBD purchase days given a purchase)^${round(a, 3)} × (Gamma-Gamma value per purchase day)^${round(b, 3)} (weight and exponents fitted on the validation window); total kept at BG/NBD × Gamma-Gamma's`;
}

/** The columns the spend forecasts read, looked up once per batch (an error if the feature list lacks one). */
function columns(rows: FeatureBatch) {
  const set = rows.featureSet;
  return {
    count: set.count,
    purchaseDays: set.index('purchase_days'),
    tenureDays: set.index('tenure_days'),
    recencyDays: set.index('recency_days'),
    monetary: set.index('monetary'),
    frequency: set.index('frequency'),
  };
}

/**
 * Gamma-Gamma's view of a customer: x = purchase days, m = net spend per purchase day over all of them (the
 * mean of all purchases, not only the repeat ones; see docs/model.md).
 */
export function spendHistoryOf(purchaseDays: number, monetary: number): SpendHistory {
  return { x: purchaseDays, m: purchaseDays > 0 ? monetary / purchaseDays : 0 };
}

/** Spend histories of every row (for fitting Gamma-Gamma). */
export function spendHistories(rows: FeatureBatch): SpendHistory[] {
  const c = columns(rows);
  const out: SpendHistory[] = [];
  for (let i = 0; i < rows.customerIds.length; i++) {
    out.push(spendHistoryOf(rows.features[i * c.count + c.purchaseDays], rows.features[i * c.count + c.monetary]));
  }
  return out;
}

/** Baseline: BG/NBD's expected purchase days in the horizon × Gamma-Gamma's expected value of one. */
export function bgnbdGammaGammaRevenue(bgnbd: BgNbdParameters, gammaGamma: GammaGammaParameters, rows: FeatureBatch, horizonDays: number): Float64Array {
  const c = columns(rows);
  const weeks = horizonWeeks(horizonDays);
  const out = new Float64Array(rows.customerIds.length);
  for (let i = 0; i < out.length; i++) {
    const row = rows.features.subarray(i * c.count, (i + 1) * c.count);
    const history = historyFromFeatures(row[c.purchaseDays], row[c.tenureDays], row[c.recencyDays]);
    out[i] = expectedTransactions(bgnbd, history, weeks) * expectedAverageValue(gammaGamma, spendHistoryOf(row[c.purchaseDays], row[c.monetary]));
  }
  return out;
}

/**
 * Baseline: the naive run rate, net spend so far per day since the first purchase × the horizon. The
 * denominator is tenure_days (as_of − first purchase day), at least 1 so a customer who first bought on the
 * as-of day divides by one day.
 */
export function runRateRevenue(rows: FeatureBatch, horizonDays: number): Float64Array {
  const c = columns(rows);
  const out = new Float64Array(rows.customerIds.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = (rows.features[i * c.count + c.monetary] / Math.max(1, rows.features[i * c.count + c.tenureDays])) * horizonDays;
  }
  return out;
}

/** The factors of our forecast per row (see the top of this file), computed once for every weight. */
export interface SpendParts {
  /** D: BG/NBD's expected purchase days given at least one in the horizon (at least 1). */
  daysIfBuying: Float64Array;
  /** V: Gamma-Gamma's expected value of a purchase day. */
  dayValue: Float64Array;
  /** D · orders per purchase day. */
  ordersIfBuying: Float64Array;
  network: Float64Array;
  bgnbd: Float64Array;
}

export function spendParts(probabilities: ArrayLike<number>, bgnbd: BgNbdParameters, gammaGamma: GammaGammaParameters, rows: FeatureBatch, horizonDays: number): SpendParts {
  const c = columns(rows);
  const weeks = horizonWeeks(horizonDays);
  const n = rows.customerIds.length;
  const parts = { daysIfBuying: new Float64Array(n), dayValue: new Float64Array(n), ordersIfBuying: new Float64Array(n), network: Float64Array.from(probabilities), bgnbd: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const row = rows.features.subarray(i * c.count, (i + 1) * c.count);
    const history = historyFromFeatures(row[c.purchaseDays], row[c.tenureDays], row[c.recencyDays]);
    const anyPurchase = purchaseProbability(bgnbd, history, weeks);
    // Given at least one purchase, at least one purchase day; where BG/NBD sees (next to) no chance, 1.
    const daysIfBuying = anyPurchase > 1e-12 ? Math.max(1, expectedTransactions(bgnbd, history, weeks) / anyPurchase) : 1;
    parts.bgnbd[i] = anyPurchase;
    parts.daysIfBuying[i] = daysIfBuying;
    parts.dayValue[i] = expectedAverageValue(gammaGamma, spendHistoryOf(row[c.purchaseDays], row[c.monetary]));
    parts.ordersIfBuying[i] = daysIfBuying * (row[c.purchaseDays] > 0 ? row[c.frequency] / row[c.purchaseDays] : 1);
  }
  return parts;
}

/** P_net^w · P_BG^(1−w) for row i. */
function blendedProbability(parts: SpendParts, i: number, weight: number): number {
  return parts.network[i] ** weight * parts.bgnbd[i] ** (1 - weight);
}

/**
 * The exponents of D and V: least squares of log revenue on 1, log D, log V over the rows that bought (and
 * have a positive V), each kept within [0, 1]. Fewer than 10 such rows, or a singular fit, keep the classic
 * model's (1, 1).
 */
export function fitValueExponents(parts: SpendParts, revenue: ArrayLike<number>): ValueExponents {
  // Normal equations X'X β = X'y with X = [1, log D, log V].
  const xx = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const xy = [0, 0, 0];
  let rows = 0;
  for (let i = 0; i < revenue.length; i++) {
    if (!(revenue[i] > 0 && parts.dayValue[i] > 0)) continue;
    const x = [1, Math.log(parts.daysIfBuying[i]), Math.log(parts.dayValue[i])];
    const y = Math.log(revenue[i]);
    for (let j = 0; j < 3; j++) {
      xy[j] += x[j] * y;
      for (let k = 0; k < 3; k++) xx[j][k] += x[j] * x[k];
    }
    rows++;
  }
  const beta = rows >= 10 ? solve3(xx, xy) : undefined;
  if (!beta || !beta.every(Number.isFinite)) return CLASSIC_EXPONENTS;
  // Within [0, 1]: a fit may shrink the classic model's spread (what the tuning folds show), never reverse its
  // order (below 0) nor widen it (above 1), which on a small or odd shop would be noise.
  const within = (exponent: number) => Math.min(1, Math.max(0, exponent));
  return { purchase_days: within(beta[1]), day_value: within(beta[2]) };
}

/** Solves a 3×3 linear system by Cramer's rule; undefined when it is (numerically) singular. */
function solve3(m: number[][], v: number[]): number[] | undefined {
  const det = (a: number[][]) =>
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const d = det(m);
  const scale = Math.abs(m[0][0] * m[1][1] * m[2][2]);
  if (!(Math.abs(d) > 1e-12 * scale)) return undefined;
  return [0, 1, 2].map((col) => det(m.map((row, r) => row.map((value, c) => (c === col ? v[r] : value)))) / d);
}

/** Revenue and orders before the total scales (w = 0 with the classic exponents: exactly BG/NBD × Gamma-Gamma, and its orders). */
export function unscaledSpend(parts: SpendParts, weight: number, exponents: ValueExponents): { revenue: Float64Array; orders: Float64Array } {
  const n = parts.network.length;
  const revenue = new Float64Array(n);
  const orders = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = blendedProbability(parts, i, weight);
    revenue[i] = p * parts.daysIfBuying[i] ** exponents.purchase_days * parts.dayValue[i] ** exponents.day_value;
    orders[i] = p * parts.ordersIfBuying[i];
  }
  return { revenue, orders };
}

const sum = (values: ArrayLike<number>) => {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
};

/**
 * The exponents, network weight and total scales. `validation` fits the exponents (fitValueExponents), then
 * picks the weight (Spearman against its actual revenue; a tie goes to the smaller weight, the classic model);
 * `population` (the holdout's rows, features only) sets the scales so the totals are BG/NBD × Gamma-Gamma's.
 */
export function fitSpendModel(
  gammaGamma: GammaGammaParameters,
  validation: { parts: SpendParts; revenue: ArrayLike<number> },
  population: SpendParts,
): { model: SpendModel; tried: { network_weight: number; spearman: number; top_decile_capture: number }[] } {
  const exponents = fitValueExponents(validation.parts, validation.revenue);
  const tried = NETWORK_WEIGHTS.map((w) => {
    const revenue = unscaledSpend(validation.parts, w, exponents).revenue;
    return { network_weight: w, spearman: spearman(revenue, validation.revenue), top_decile_capture: topDecileCapture(revenue, validation.revenue) };
  });
  // The first best wins: the smaller weight (closer to the classic model) on ties.
  const best = tried.reduce((a, b) => (b.spearman > a.spearman ? b : a));
  const classic = unscaledSpend(population, 0, CLASSIC_EXPONENTS);
  const ours = unscaledSpend(population, best.network_weight, exponents);
  return {
    model: {
      gamma_gamma: gammaGamma,
      value_exponents: exponents,
      network_weight: best.network_weight,
      revenue_scale: sum(classic.revenue) / sum(ours.revenue),
      orders_scale: sum(classic.orders) / sum(ours.orders),
    },
    tried,
  };
}

/** Our forecast, scaled. */
export function expectedSpend(parts: SpendParts, model: SpendModel): { revenue: Float64Array; orders: Float64Array } {
  const { revenue, orders } = unscaledSpend(parts, model.network_weight, model.value_exponents);
  for (let i = 0; i < revenue.length; i++) {
    revenue[i] *= model.revenue_scale;
    orders[i] *= model.orders_scale;
  }
  return { revenue, orders };
}
