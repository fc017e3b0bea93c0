// Expected orders and revenue in the next horizon per customer, and the two classic forecasts they are judged
// against. All work on the SQL features (looked up by name), one pass per row: scoring a million customers
// adds about a second (mostly BG/NBD's E[X(t)] series).
//
// Our forecast starts from BG/NBD × Gamma-Gamma and lets the network re-rank it. BG/NBD's expected purchase
// days are P_BG(buy) · D, with D = E[X | X > 0] its purchase days given at least one (P(alive) cancels out of
// D); the network answers the first factor better (it ranks buyers better, docs/model.md), so
//   expected_revenue = c_rev · D · E_GG[value of a purchase day] · P_net^w · P_BG^(1−w)
//   expected_orders  = c_ord · D · orders per purchase day so far · P_net^w · P_BG^(1−w)
// w = 0 is the classic model, w = 1 a hurdle model with the network's probability. w is chosen on the
// validation window (the best Spearman correlation with its actual revenue; BG/NBD and Gamma-Gamma refitted on
// that window's own cut for the comparison, see train.ts), so a network that learned little
// (few windows, a long horizon) falls back towards BG/NBD. The totals c are BG/NBD × Gamma-Gamma's on the
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
  /** Weight of the network's probability against BG/NBD's (0..1), chosen on the validation window. */
  network_weight: number;
  /** Make the totals BG/NBD × Gamma-Gamma's (revenue) and BG/NBD × orders per purchase day's (orders). */
  revenue_scale: number;
  orders_scale: number;
}

/** The weights tried on the validation window. */
export const NETWORK_WEIGHTS = [0, 0.25, 0.5, 0.75, 1];

/** The short description stored as metrics.spend.model. */
export function spendModelDescription(model: SpendModel): string {
  return `P(buy) = P_net^${model.network_weight} · P_BG/NBD^${round(1 - model.network_weight, 2)} (weight chosen on the validation window) × BG/NBD purchase days given a purchase × Gamma-Gamma value per purchase day; total kept at BG/NBD × Gamma-Gamma's`;
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
  /** D · E_GG[value]: expected revenue given at least one purchase day in the horizon. */
  revenueIfBuying: Float64Array;
  /** D · orders per purchase day. */
  ordersIfBuying: Float64Array;
  network: Float64Array;
  bgnbd: Float64Array;
}

export function spendParts(probabilities: ArrayLike<number>, bgnbd: BgNbdParameters, gammaGamma: GammaGammaParameters, rows: FeatureBatch, horizonDays: number): SpendParts {
  const c = columns(rows);
  const weeks = horizonWeeks(horizonDays);
  const n = rows.customerIds.length;
  const parts = { revenueIfBuying: new Float64Array(n), ordersIfBuying: new Float64Array(n), network: Float64Array.from(probabilities), bgnbd: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const row = rows.features.subarray(i * c.count, (i + 1) * c.count);
    const history = historyFromFeatures(row[c.purchaseDays], row[c.tenureDays], row[c.recencyDays]);
    const anyPurchase = purchaseProbability(bgnbd, history, weeks);
    // Given at least one purchase, at least one purchase day; where BG/NBD sees (next to) no chance, 1.
    const daysIfBuying = anyPurchase > 1e-12 ? Math.max(1, expectedTransactions(bgnbd, history, weeks) / anyPurchase) : 1;
    parts.bgnbd[i] = anyPurchase;
    parts.revenueIfBuying[i] = daysIfBuying * expectedAverageValue(gammaGamma, spendHistoryOf(row[c.purchaseDays], row[c.monetary]));
    parts.ordersIfBuying[i] = daysIfBuying * (row[c.purchaseDays] > 0 ? row[c.frequency] / row[c.purchaseDays] : 1);
  }
  return parts;
}

/** P_net^w · P_BG^(1−w) for row i. */
function blendedProbability(parts: SpendParts, i: number, weight: number): number {
  return parts.network[i] ** weight * parts.bgnbd[i] ** (1 - weight);
}

/** Revenue and orders before the total scales (w = 0: exactly BG/NBD × Gamma-Gamma, and its orders). */
export function unscaledSpend(parts: SpendParts, weight: number): { revenue: Float64Array; orders: Float64Array } {
  const n = parts.network.length;
  const revenue = new Float64Array(n);
  const orders = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = blendedProbability(parts, i, weight);
    revenue[i] = p * parts.revenueIfBuying[i];
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
 * The network weight and total scales. `validation` picks the weight (Spearman against its actual revenue;
 * a tie goes to the smaller weight, the classic model); `population` (the holdout's rows, features only) sets
 * the scales so the totals are BG/NBD × Gamma-Gamma's.
 */
export function fitSpendModel(
  gammaGamma: GammaGammaParameters,
  validation: { parts: SpendParts; revenue: ArrayLike<number> },
  population: SpendParts,
): { model: SpendModel; tried: { network_weight: number; spearman: number; top_decile_capture: number }[] } {
  const tried = NETWORK_WEIGHTS.map((w) => {
    const revenue = unscaledSpend(validation.parts, w).revenue;
    return { network_weight: w, spearman: spearman(revenue, validation.revenue), top_decile_capture: topDecileCapture(revenue, validation.revenue) };
  });
  // The first best wins: the smaller weight (closer to the classic model) on ties.
  const best = tried.reduce((a, b) => (b.spearman > a.spearman ? b : a));
  const classic = unscaledSpend(population, 0);
  const ours = unscaledSpend(population, best.network_weight);
  return {
    model: {
      gamma_gamma: gammaGamma,
      network_weight: best.network_weight,
      revenue_scale: sum(classic.revenue) / sum(ours.revenue),
      orders_scale: sum(classic.orders) / sum(ours.orders),
    },
    tried,
  };
}

/** Our forecast, scaled. */
export function expectedSpend(parts: SpendParts, model: SpendModel): { revenue: Float64Array; orders: Float64Array } {
  const { revenue, orders } = unscaledSpend(parts, model.network_weight);
  for (let i = 0; i < revenue.length; i++) {
    revenue[i] *= model.revenue_scale;
    orders[i] *= model.orders_scale;
  }
  return { revenue, orders };
}
