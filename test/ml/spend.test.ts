// Expected spend: the windowed revenue label in SQL against a hand-made shop, the Gamma-Gamma fit and BG/NBD's
// conditional expectation against simulated populations, and the rank figures on small cases worked by hand.
import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import { insertOrders, type FixtureOrder } from './fixtures.ts';
import { expectedTransactions, fitBgNbd, hypergeometric2F1, logHypergeometric2F1, purchaseProbability, type BgNbdParameters, type History } from '../../jobs/train/bgnbd.ts';
import { expectedAverageValue, fitGammaGamma, type SpendHistory } from '../../jobs/train/gamma-gamma.ts';
import { averageRanks, correlation, spearman, spendFigures, topDecileCapture } from '../../jobs/train/metrics.ts';
import { seededRandom } from '../../jobs/train/network.ts';
import { CLASSIC_EXPONENTS, fitValueExponents, unscaledSpend, type SpendParts } from '../../jobs/train/spend.ts';

const asOf = '2024-03-31';
const shop: FixtureOrder[] = [
  // A: one order before, two in the window (one of them on its last day), one canceled in it, one the day after.
  { orderId: 'a1', person: 'A', at: '2024-03-01 10:00', amount: 70 },
  { orderId: 'a2', person: 'A', at: '2024-04-01 00:00', amount: 40 },
  { orderId: 'a3', person: 'A', at: '2024-04-30 23:59:59', amount: 25, items: 2 },
  { orderId: 'a4', person: 'A', at: '2024-04-10 12:00', amount: 500, status: 'canceled' },
  { orderId: 'a5', person: 'A', at: '2024-05-01 00:00', amount: 99 },
  // B: two orders on one day of the window; a refund in the window for an order bought before it.
  { orderId: 'b1', person: 'B', at: '2024-02-01 10:00', amount: 30 },
  { orderId: 'b2', person: 'B', at: '2024-04-15 09:00', amount: 20 },
  { orderId: 'b3', person: 'B', at: '2024-04-15 18:00', amount: 15 },
  // C: buys in the window and is refunded more than that in it: revenue 0, still one order.
  { orderId: 'c1', person: 'C', at: '2024-01-10 10:00', amount: 60 },
  { orderId: 'c2', person: 'C', at: '2024-04-20 10:00', amount: 10 },
  // D: nothing in the window; E: first buys in the window (no row as of asOf).
  { orderId: 'd1', person: 'D', at: '2024-03-15 10:00', amount: 45 },
  { orderId: 'e1', person: 'E', at: '2024-04-05 10:00', amount: 80 },
];

t.test('the revenue label: counted orders in (as_of, as_of + horizon] less that window\'s refunds, at least 0', async (t) => {
  const { sql } = await testDatabase(t);
  await insertOrders(sql, shop);
  await sql`
    insert into raw.refunds (refund_id, customer_id, refunded_at, amount) values
      ('ra', 'A', '2024-03-31 23:00', 30),  -- before the window: lowers A's features, not the label
      ('rb', 'B', '2024-04-20 09:00', 12),  -- in the window, for the order of February
      ('rc', 'C', '2024-04-25 09:00', 35),  -- in the window, more than C bought in it
      ('rd', 'D', '2024-05-02 09:00', 45)   -- after the window`;
  await sql`select salesdash_internal.refresh_model_snapshot()`;
  const labels = await sql`
    select customer_id, will_purchase, horizon_orders, horizon_revenue
    from salesdash_internal.customer_labels(${asOf}, 30) order by customer_id`;
  t.same(labels.map((r) => ({ ...r })), [
    { customer_id: 'A', will_purchase: true, horizon_orders: 2, horizon_revenue: 65 },
    { customer_id: 'B', will_purchase: true, horizon_orders: 2, horizon_revenue: 23 },
    { customer_id: 'C', will_purchase: true, horizon_orders: 1, horizon_revenue: 0 },
    { customer_id: 'D', will_purchase: false, horizon_orders: 0, horizon_revenue: 0 },
  ]);
  // The training rows carry the same labels (one definition), and a day longer brings in A's order of May 1.
  const rows = await sql`select customer_id, horizon_orders, horizon_revenue, monetary from salesdash_internal.customer_training_rows(${asOf}, 31) order by customer_id`;
  t.same(rows.map((r) => [r.customer_id, r.horizon_orders, r.horizon_revenue]), [['A', 3, 164], ['B', 2, 23], ['C', 1, 0], ['D', 0, 0]]);
  t.equal(rows[0].monetary, 40, 'features stay net of refunds up to as_of only');
  // Scoring (no horizon): labels 0.
  const today = await sql`select horizon_orders, horizon_revenue from salesdash_internal.customer_training_rows(${asOf}, 0)`;
  t.ok(today.every((r) => r.horizon_orders === 0 && r.horizon_revenue === 0));
});

/** Gamma(shape, rate) by Marsaglia–Tsang, seeded. */
function gammaSampler(random: () => number) {
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const sample = (shape: number, rate: number): number => {
    if (shape < 1) return sample(shape + 1, rate) * random() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const z = normal();
      const v = (1 + c * z) ** 3;
      if (v <= 0) continue;
      if (Math.log(random()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
    }
  };
  return sample;
}

t.test('Gamma-Gamma maximum likelihood recovers the parameters of a simulated population', async (t) => {
  const random = seededRandom(21);
  const gamma = gammaSampler(random);
  const truth = { p: 6, q: 4, gamma: 15 };
  const histories: SpendHistory[] = [];
  const nextValues: number[] = [];
  for (let i = 0; i < 8000; i++) {
    const nu = gamma(truth.q, truth.gamma);
    const x = 1 + Math.floor(random() * 6);
    let total = 0;
    for (let k = 0; k < x; k++) total += gamma(truth.p, nu);
    histories.push({ x, m: total / x });
    nextValues.push(gamma(truth.p, nu));
  }
  const fitted = fitGammaGamma(histories);
  t.ok(Math.abs(fitted.p - truth.p) / truth.p < 0.15 && Math.abs(fitted.q - truth.q) / truth.q < 0.15 && Math.abs(fitted.gamma - truth.gamma) / truth.gamma < 0.2,
    `fitted ${JSON.stringify(fitted)} (simulated p 6, q 4, γ 15)`);
  // The conditional expectation predicts each customer's next transaction without bias, and better than m̄.
  let predicted = 0, actual = 0, errorConditional = 0, errorMean = 0;
  histories.forEach((h, i) => {
    const e = expectedAverageValue(fitted, h);
    predicted += e;
    actual += nextValues[i];
    errorConditional += (e - nextValues[i]) ** 2;
    errorMean += (h.m - nextValues[i]) ** 2;
  });
  t.ok(Math.abs(predicted / actual - 1) < 0.03, `predicted total ${predicted.toFixed(0)}, simulated ${actual.toFixed(0)}`);
  t.ok(errorConditional < errorMean, 'shrinking towards the population mean beats each customer\'s own mean');
  t.equal(expectedAverageValue(fitted, { x: 0, m: 0 }), (fitted.p * fitted.gamma) / (fitted.q - 1), 'no transactions: the population mean');
  // Heavy-tailed order values fit q <= 1: no population mean, but a posterior mean for a customer who bought
  // whenever p·x + q > 1 (a shop like that, generated, fitted p 0.369, q 0.795).
  t.equal(expectedAverageValue({ p: 1, q: 0.9, gamma: 1 }, { x: 0, m: 0 }), Infinity, 'q <= 1: no population mean (the run is refused)');
  t.equal(expectedAverageValue({ p: 0.25, q: 0.5, gamma: 1 }, { x: 2, m: 5 }), Infinity, 'p·x + q <= 1: no posterior mean either');
  t.ok(Math.abs(expectedAverageValue({ p: 0.369, q: 0.795, gamma: 45.16 }, { x: 1, m: 20 }) - (0.369 * (45.16 + 20)) / (0.369 + 0.795 - 1)) < 1e-9,
    'q <= 1 but p·x + q > 1: the posterior mean, finite');
  t.ok(Number.isNaN(fitGammaGamma([{ x: 1, m: 0 }]).p), 'nobody with a positive value: NaN parameters (the run is refused)');
  t.ok(Math.abs(correlation(histories.map((h) => h.x), histories.map((h) => h.m))) < 0.05, 'counts and values independent, as simulated');
});

t.test('BG/NBD conditional expected purchases: the transformed series, and against a simulation', async (t) => {
  // Euler's transformation gives the same number as the plain series wherever both converge well.
  for (const [a, b, c, z] of [[1.3, 2.5, 3.1, 0.3], [0.27, 2.9, 1.6, 0.6], [5, 7, 4.4, 0.2]]) {
    const plain = hypergeometric2F1(a, b, c, z);
    const euler = (1 - z) ** (c - a - b) * hypergeometric2F1(c - a, c - b, c, z);
    t.ok(Math.abs(plain / euler - 1) < 1e-10, `2F1(${a}, ${b}; ${c}; ${z}) = ${plain} = ${euler}`);
  }
  // A shop whose customers all drop out at about the same rate fits a huge a and b (here, from a generated
  // shop: a 81,030, b 162,240, so p is about 1/3 for everyone). Euler's side then has terms up to e^5700;
  // both sides, summed in logs, still agree, and the expected purchases are finite and approach those of a
  // Beta(a/10, b/10) dropout, which is nearly as concentrated.
  const flat: BgNbdParameters = { r: 0.19, alpha: 4.08, a: 81030, b: 162240 };
  for (const x of [0, 2, 40]) {
    const z = 4.3 / (flat.alpha + 50 + 4.3);
    const c = flat.a + flat.b + x - 1;
    const plain = logHypergeometric2F1(flat.r + x, flat.b + x, c, z);
    const euler = logHypergeometric2F1(flat.a + flat.b - 1 - flat.r, flat.a - 1, c, z);
    const left = (flat.r + x) * Math.log1p(-z) + plain.log;
    const right = (flat.a - 1) * Math.log1p(-z) + euler.log;
    t.ok(Math.abs(left - right) < 1e-8 && plain.sign === 1 && euler.sign === 1, `x = ${x}: both sides of Euler's transformation, in logs: ${left} = ${right}`);
    const h = { x, tx: x ? 45 : 0, T: 50 };
    const e = expectedTransactions(flat, h, 4.3);
    const tenth = expectedTransactions({ ...flat, a: flat.a / 10, b: flat.b / 10 }, h, 4.3);
    t.ok(Number.isFinite(e) && e > 0 && Math.abs(e / tenth - 1) < 0.01, `x = ${x}: E[X] ${e} finite, near ${tenth}`);
  }

  const p: BgNbdParameters = { r: 0.8, alpha: 6, a: 0.7, b: 2.2 };
  t.ok(expectedTransactions(p, { x: 0, tx: 0, T: 20 }, 0) === 0, 'nothing in no time');
  t.ok(expectedTransactions(p, { x: 4, tx: 19, T: 20 }, 8) > expectedTransactions(p, { x: 4, tx: 5, T: 20 }, 8), 'a recent buyer is expected to buy more');
  t.ok(expectedTransactions(p, { x: 1, tx: 10, T: 20 }, 8) >= purchaseProbability(p, { x: 1, tx: 10, T: 20 }, 8), 'E[X] >= P(X > 0)');

  // Simulate BG/NBD (r 0.8, α 6, a 0.7, b 2.2), 30 weeks observed, the next 10 counted, and compare.
  const random = seededRandom(5);
  const gamma = gammaSampler(random);
  const beta = (a: number, b: number) => { const x = gamma(a, 1); return x / (x + gamma(b, 1)); };
  const histories: History[] = [];
  const later: number[] = [];
  for (let i = 0; i < 6000; i++) {
    const rate = gamma(p.r, p.alpha);
    const dropout = beta(p.a, p.b);
    let time = 0, x = 0, tx = 0, after = 0, alive = true;
    for (;;) {
      time += -Math.log(1 - random()) / rate;
      if (time > 40) break;
      if (time <= 30) { x++; tx = time; } else after++;
      if (random() < dropout) { alive = false; break; }
    }
    void alive;
    histories.push({ x, tx, T: 30 });
    later.push(after);
  }
  const fitted = fitBgNbd(histories);
  let expected = 0, simulated = 0;
  const byGroup = new Map<string, { e: number; s: number }>();
  histories.forEach((h, i) => {
    const e = expectedTransactions(fitted, h, 10);
    expected += e;
    simulated += later[i];
    const key = h.x === 0 ? 'none' : h.x < 3 ? 'few' : 'many';
    const g = byGroup.get(key) ?? { e: 0, s: 0 };
    g.e += e;
    g.s += later[i];
    byGroup.set(key, g);
  });
  t.ok(Math.abs(expected / simulated - 1) < 0.1, `expected ${expected.toFixed(0)} purchases in the next 10 weeks, simulated ${simulated}`);
  for (const [key, g] of byGroup) t.ok(Math.abs(g.e / g.s - 1) < 0.2, `${key} repeat purchases: expected ${g.e.toFixed(0)}, simulated ${g.s}`);
});

t.test('Spearman correlation uses average ranks for ties', async (t) => {
  t.same(Array.from(averageRanks([3, 1, 3, 3, 0])), [4, 2, 4, 4, 1]);
  // Ranks 1, 2.5, 2.5, 4 against 1, 3, 2, 4: Pearson of the ranks is 4.5 / sqrt(4.5 · 5).
  t.ok(Math.abs(spearman([1, 2, 2, 3], [1, 3, 2, 4]) - 4.5 / Math.sqrt(4.5 * 5)) < 1e-12);
  t.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  // Ranks 4, 3, 2, 1 against 1.5, 1.5, 3, 4 (two customers who bought nothing tie).
  t.ok(Math.abs(spearman([4, 3, 2, 1], [0, 0, 5, 9]) + 4.5 / Math.sqrt(5 * 4.5)) < 1e-12, 'ties in the actual values');
  t.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])), 'a constant forecast ranks nothing');
});

t.test('top-decile capture: the share of actual revenue of the tenth predicted highest, ties in row order', async (t) => {
  const actual = Array.from({ length: 20 }, (_, i) => i + 1); // 210 in all
  const predicted = actual.map((v) => -v);
  t.equal(topDecileCapture(predicted, actual), (1 + 2) / 210, 'the two predicted highest bought 1 and 2');
  t.equal(topDecileCapture(actual, actual), (20 + 19) / 210);
  t.equal(topDecileCapture(new Array(20).fill(1), actual), (1 + 2) / 210, 'all tied: the first two rows');
  t.equal(topDecileCapture([5, 5, 5], [1, 2, 3]), 1 / 6, 'ceil(3 / 10) = 1 customer');
  const figures = spendFigures([10, 0, 5, 5], [8, 0, 0, 12]);
  t.same(figures, { spearman: figures.spearman, mae: (2 + 0 + 5 + 7) / 4, total_error: 0, top_decile_capture: 8 / 20, predicted_revenue: 20 });
});

t.test('the exponents of purchase days and value: least squares in logs over the buyers, the classic (1, 1) without enough of them', async (t) => {
  const random = seededRandom(5);
  const n = 2000;
  const parts: SpendParts = {
    daysIfBuying: Float64Array.from({ length: n }, () => 1 + 3 * random()),
    dayValue: Float64Array.from({ length: n }, () => 5 + 100 * random()),
    ordersIfBuying: new Float64Array(n),
    network: new Float64Array(n),
    bgnbd: new Float64Array(n),
  };
  // Revenue = 2 · D^0.8 · V^0.7 · noise for the buyers (every other row); the rest bought nothing.
  const revenue = Float64Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? 2 * parts.daysIfBuying[i] ** 0.8 * parts.dayValue[i] ** 0.7 * Math.exp(0.3 * (random() - 0.5)) : 0);
  const fitted = fitValueExponents(parts, revenue);
  t.ok(Math.abs(fitted.purchase_days - 0.8) < 0.03 && Math.abs(fitted.day_value - 0.7) < 0.03, `exponents ${JSON.stringify(fitted)}`);
  t.same(fitValueExponents(parts, revenue.map((v, i) => (i < 18 ? v : 0))), CLASSIC_EXPONENTS, 'nine buyers: the classic model');
  const beyond = Float64Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? 2 * parts.daysIfBuying[i] ** 1.5 * parts.dayValue[i] ** -0.5 * Math.exp(0.3 * (random() - 0.5)) : 0);
  t.same(fitValueExponents(parts, beyond), { purchase_days: 1, day_value: 0 }, 'fits of 1.5 and -0.5 are kept within [0, 1]');
  const sameDays = { ...parts, daysIfBuying: new Float64Array(n).fill(1) };
  t.same(fitValueExponents(sameDays, revenue), CLASSIC_EXPONENTS, 'D the same for everyone (a singular fit): the classic model');
  // With the classic exponents and weight 0 our revenue before scaling is BG/NBD × Gamma-Gamma's: P_BG · D · V.
  parts.bgnbd.fill(0.5);
  t.equal(unscaledSpend(parts, 0, CLASSIC_EXPONENTS).revenue[3], 0.5 * parts.daysIfBuying[3] * parts.dayValue[3]);
});
