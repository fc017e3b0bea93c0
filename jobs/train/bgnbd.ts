// The BG/NBD baseline (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
// customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase they drop out with
// probability p ~ Beta(a, b). Fitted by maximum likelihood on each customer's (x, t_x, T) — here with time
// in weeks, x = repeat purchase days — by Nelder–Mead on the log-parameters (so they stay positive).

export interface BgNbdParameters {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** One customer's history as of the calibration date, time in weeks. */
export interface History {
  /** Repeat purchases (purchase days after the first). */
  x: number;
  /** Time from first to last purchase. */
  tx: number;
  /** Time from first purchase to the as-of date. */
  T: number;
}

const DAYS_PER_WEEK = 7;

/** Converts the SQL features (days) into BG/NBD's history in weeks. */
export function historyFromFeatures(purchaseDays: number, tenureDays: number, recencyDays: number): History {
  return {
    x: Math.max(0, purchaseDays - 1),
    tx: Math.max(0, tenureDays - recencyDays) / DAYS_PER_WEEK,
    T: tenureDays / DAYS_PER_WEEK,
  };
}

// Lanczos approximation (g = 7, n = 9): ln Γ(z) to about 15 digits for z > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
  const zz = z - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < 9; i++) sum += LANCZOS[i] / (zz + i);
  const t = zz + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Identical histories share one likelihood term; at a million customers this shrinks the work a lot. */
interface GroupedHistories {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  count: Float64Array;
}

function groupHistories(histories: History[]): GroupedHistories {
  const groups = new Map<string, { h: History; count: number }>();
  for (const h of histories) {
    const key = `${h.x}|${h.tx}|${h.T}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { h, count: 1 });
  }
  const n = groups.size;
  const grouped = { x: new Float64Array(n), tx: new Float64Array(n), T: new Float64Array(n), count: new Float64Array(n) };
  let i = 0;
  for (const { h, count } of groups.values()) {
    grouped.x[i] = h.x;
    grouped.tx[i] = h.tx;
    grouped.T[i] = h.T;
    grouped.count[i] = count;
    i++;
  }
  return grouped;
}

/** Total log-likelihood, FHL 2005 eq. (6) in closed form. */
function logLikelihood({ r, alpha, a, b }: BgNbdParameters, g: GroupedHistories): number {
  const constant = r * Math.log(alpha) - logGamma(r) + logGamma(a + b) - logGamma(b);
  let total = 0;
  for (let i = 0; i < g.count.length; i++) {
    const x = g.x[i];
    const shape = r + x;
    const alive = -shape * Math.log(alpha + g.T[i]);
    let tail = alive;
    if (x > 0) {
      const droppedOut = Math.log(a) - Math.log(b + x - 1) - shape * Math.log(alpha + g.tx[i]);
      const high = Math.max(alive, droppedOut);
      tail = high + Math.log(Math.exp(alive - high) + Math.exp(droppedOut - high));
    }
    total += g.count[i] * (logGamma(shape) + logGamma(b + x) - logGamma(a + b + x) + constant + tail);
  }
  return total;
}

/** Nelder–Mead simplex minimisation (standard coefficients), deterministic from its start point. */
export function nelderMead(f: (v: number[]) => number, start: number[], options = { iterations: 2000, tolerance: 1e-10, step: 0.5 }): number[] {
  const n = start.length;
  let simplex = [start, ...start.map((_, i) => start.map((v, j) => (i === j ? v + options.step : v)))].map((v) => ({ v, f: f(v) }));
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    simplex.sort((p, q) => p.f - q.f);
    const best = simplex[0];
    const worst = simplex[n];
    if (Math.abs(worst.f - best.f) <= options.tolerance * (Math.abs(best.f) + 1e-12)) break;
    const centroid = start.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p.v[j], 0) / n);
    const along = (t: number) => centroid.map((c, j) => c + t * (worst.v[j] - c));
    const reflected = along(-1);
    const fr = f(reflected);
    if (fr < best.f) {
      const expanded = along(-2);
      const fe = f(expanded);
      simplex[n] = fe < fr ? { v: expanded, f: fe } : { v: reflected, f: fr };
    } else if (fr < simplex[n - 1].f) {
      simplex[n] = { v: reflected, f: fr };
    } else {
      const contracted = fr < worst.f ? along(-0.5) : along(0.5);
      const fc = f(contracted);
      if (fc < Math.min(fr, worst.f)) simplex[n] = { v: contracted, f: fc };
      else simplex = simplex.map((p, k) => (k === 0 ? p : { v: p.v.map((x, j) => best.v[j] + 0.5 * (x - best.v[j])), f: Number.NaN }))
        .map((p) => (Number.isNaN(p.f) ? { v: p.v, f: f(p.v) } : p));
    }
  }
  simplex.sort((p, q) => p.f - q.f);
  return simplex[0].v;
}

export function fitBgNbd(histories: History[]): BgNbdParameters {
  if (!histories.length) throw new Error('BG/NBD needs at least one customer history');
  const grouped = groupHistories(histories);
  const unpack = (v: number[]): BgNbdParameters => ({ r: Math.exp(v[0]), alpha: Math.exp(v[1]), a: Math.exp(v[2]), b: Math.exp(v[3]) });
  const negative = (v: number[]) => {
    // Keep the search inside a sane box; beyond it the likelihood is flat and numerically meaningless.
    if (v.some((x) => Math.abs(x) > 12)) return Number.MAX_VALUE;
    const ll = logLikelihood(unpack(v), grouped);
    return Number.isFinite(ll) ? -ll : Number.MAX_VALUE;
  };
  let best = nelderMead(negative, [0, 0, 0, 0]);
  // A restart from the optimum lets the simplex escape an early collapse (common for Nelder–Mead).
  best = nelderMead(negative, best);
  return unpack(best);
}

/**
 * P(at least one purchase in the next t weeks | history), exact under the model: the customer must be alive
 * at T (probability from FHL eq. 19) and, with λ | alive ~ Gamma(r + x, α + T), buy within t.
 */
export function purchaseProbability(parameters: BgNbdParameters, h: History, t: number): number {
  const { r, alpha } = parameters;
  const shape = r + h.x;
  const alive = aliveProbability(parameters, h);
  const noPurchaseIfAlive = Math.exp(shape * (Math.log(alpha + h.T) - Math.log(alpha + h.T + t)));
  return alive * (1 - noPurchaseIfAlive);
}

/** P(alive at T | x, t_x, T), FHL 2005 eq. (19). */
export function aliveProbability({ r, alpha, a, b }: BgNbdParameters, h: History): number {
  if (h.x === 0) return 1;
  const deadOdds = (a / (b + h.x - 1)) * Math.exp((r + h.x) * (Math.log(alpha + h.T) - Math.log(alpha + h.tx)));
  return 1 / (1 + deadOdds);
}

export function horizonWeeks(horizonDays: number): number {
  return horizonDays / DAYS_PER_WEEK;
}

/**
 * Gauss's hypergeometric series 2F1(a, b; c; z) for 0 <= z < 1, summed until the terms stop mattering, as
 * the logarithm of its absolute value and its sign. The sum is kept relative to its largest term so far: with
 * a large parameter the terms grow far beyond the range of a double before they shrink (a = 80,000, z = 0.07:
 * about e^5700), which a plain sum turns into Infinity, and its prefactor into Infinity × 0 = NaN.
 */
export function logHypergeometric2F1(a: number, b: number, c: number, z: number): { log: number; sign: number } {
  let logTerm = 0; // log |term k|
  let termSign = 1;
  let scale = 0; // log of the largest |term| so far
  let sum = 1; // the sum so far / e^scale
  for (let k = 0; k < 100_000; k++) {
    const ratio = (((a + k) * (b + k)) / ((c + k) * (k + 1))) * z;
    if (ratio === 0) break;
    if (ratio < 0) termSign = -termSign;
    logTerm += Math.log(Math.abs(ratio));
    if (logTerm > scale) {
      sum *= Math.exp(scale - logTerm);
      scale = logTerm;
    }
    const term = termSign * Math.exp(logTerm - scale);
    sum += term;
    if (Math.abs(term) <= 1e-15 * Math.abs(sum)) break;
  }
  return { log: scale + Math.log(Math.abs(sum)), sign: Math.sign(sum) };
}

/** 2F1(a, b; c; z) as a number (see logHypergeometric2F1). */
export function hypergeometric2F1(a: number, b: number, c: number, z: number): number {
  const { log, sign } = logHypergeometric2F1(a, b, c, z);
  return sign * Math.exp(log);
}

/**
 * E[X(t) | x, t_x, T]: expected purchases (purchase days) in the next t weeks, FHL 2005 eq. (10), as lifetimes'
 * conditional_expected_number_of_purchases_up_to_time. It needs S = ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x;
 * a+b+x−1; z), which Euler's transformation also writes as (1−z)^(a−1) · 2F1(a+b−1−r, a−1; a+b+x−1; z). Each
 * series has about (its parameter r+x, or a−1) · z / (1−z) growing terms, so the one with the smaller
 * parameter is summed: the first for a customer with few purchases and a shop with a large a (customers
 * who all drop out at about the same rate), the second for a customer with many purchases.
 */
export function expectedTransactions({ r, alpha, a, b }: BgNbdParameters, h: History, t: number): number {
  // a = 1 is a removable singularity (0/0); a step of 1e-7 off it changes nothing visible.
  const aa = Math.abs(a - 1) < 1e-7 ? 1 + (a >= 1 ? 1e-7 : -1e-7) : a;
  const z = t / (alpha + h.T + t);
  const c = aa + b + h.x - 1;
  const [power, series] = Math.abs(aa - 1) < r + h.x
    ? [aa - 1, logHypergeometric2F1(aa + b - 1 - r, aa - 1, c, z)]
    : [r + h.x, logHypergeometric2F1(r + h.x, b + h.x, c, z)];
  const s = series.sign * Math.exp(power * Math.log1p(-z) + series.log);
  const numerator = (c / (aa - 1)) * (1 - s);
  const deadOdds = h.x > 0 ? (aa / (b + h.x - 1)) * Math.exp((r + h.x) * (Math.log(alpha + h.T) - Math.log(alpha + h.tx))) : 0;
  return Math.max(0, numerator / (1 + deadOdds));
}
