// The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
// curves"; Colombo & Jiang 1999): a customer's transaction values are Gamma(p, ν) around their own mean, and
// ν ~ Gamma(q, γ) across customers. Fitted by maximum likelihood on repeat customers' (x, m̄), as lifetimes'
// GammaGammaFitter, it shrinks each customer's average order value towards the population's: the fewer
// transactions, the more. A transaction here is a purchase day (as in BG/NBD), its value the day's net spend.
import { logGamma, nelderMead } from './bgnbd.ts';

export interface GammaGammaParameters {
  p: number;
  q: number;
  gamma: number;
}

/** What the model sees of one customer: transactions averaged over, and their mean value. */
export interface SpendHistory {
  /** Number of transactions (purchase days) the mean is over. */
  x: number;
  /** Mean value per transaction. */
  m: number;
}

/** Total log-likelihood of (x, m̄) over customers with x >= 1 and m̄ > 0 (lifetimes' _negative_log_likelihood). */
export function gammaGammaLogLikelihood({ p, q, gamma }: GammaGammaParameters, x: Float64Array, m: Float64Array): number {
  const constant = q * Math.log(gamma) - logGamma(q);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const px = p * x[i];
    total += logGamma(px + q) - logGamma(px) + constant + (px - 1) * Math.log(m[i]) + px * Math.log(x[i]) - (px + q) * Math.log(x[i] * m[i] + gamma);
  }
  return total;
}

/**
 * Maximum likelihood by Nelder–Mead on the log-parameters (with a restart, as BG/NBD), from customers with at
 * least one transaction and a positive mean (a wholly refunded customer has no value to model: log 0). Without
 * any, the parameters are NaN: every figure built on them is then not a finite number, which refuses the run
 * (publish.ts) instead of failing it.
 */
export function fitGammaGamma(histories: readonly SpendHistory[]): GammaGammaParameters {
  const usable = histories.filter((h) => h.x >= 1 && h.m > 0);
  if (!usable.length) return { p: Number.NaN, q: Number.NaN, gamma: Number.NaN };
  const x = Float64Array.from(usable, (h) => h.x);
  const m = Float64Array.from(usable, (h) => h.m);
  // Start at the population's scale: γ/(q−1)·p is the mean value, so γ ~ the mean value puts the start near it.
  const mean = m.reduce((s, v) => s + v, 0) / m.length;
  const unpack = (v: number[]): GammaGammaParameters => ({ p: Math.exp(v[0]), q: Math.exp(v[1]), gamma: Math.exp(v[2]) });
  const negative = (v: number[]) => {
    if (v.some((t) => Math.abs(t) > 25)) return Number.MAX_VALUE;
    const ll = gammaGammaLogLikelihood(unpack(v), x, m);
    return Number.isFinite(ll) ? -ll : Number.MAX_VALUE;
  };
  let best = nelderMead(negative, [0, Math.log(2), Math.log(mean)]);
  best = nelderMead(negative, best);
  return unpack(best);
}

/**
 * E[value of a transaction | x, m̄] = (p(γ + x·m̄)) / (p·x + q − 1): a weighted mean of the population mean
 * pγ/(q−1) and the customer's own m̄ (lifetimes' conditional_expected_average_profit). x = 0 gives the
 * population mean. It is the mean of p/ν under ν's posterior Gamma(p·x + q, γ + x·m̄), which exists when
 * p·x + q > 1: a shop whose order values are so heavy-tailed that q <= 1 has no population mean (x = 0), yet a
 * finite expectation for each customer who bought, as long as p·x + q > 1. Infinite otherwise, which
 * refuses the run.
 */
export function expectedAverageValue({ p, q, gamma }: GammaGammaParameters, h: SpendHistory): number {
  if (p * h.x + q <= 1) return Number.POSITIVE_INFINITY;
  return (p * (gamma + h.x * h.m)) / (p * h.x + q - 1);
}
