// Metric and BG/NBD arithmetic on small cases whose answers are known.
import t from 'tap';
import {
  averagePrecision, brierScore, confidenceOf, confidenceTable, confusionAt, maxF1Threshold, prCurve, rocAuc, rocCurve,
} from '../../jobs/train/metrics.ts';
import { aliveProbability, fitBgNbd, logGamma, purchaseProbability, type History } from '../../jobs/train/bgnbd.ts';
import { fitCalibration } from '../../jobs/train/network.ts';
import { seededRandom } from '../../jobs/train/network.ts';

t.test('ROC AUC and average precision match hand-computed values, ties count one half', async (t) => {
  const labels = [0, 0, 1, 1];
  const scores = [0.1, 0.4, 0.35, 0.8];
  t.equal(rocAuc(scores, labels), 0.75);
  t.equal(Math.round(averagePrecision(scores, labels) * 1e6) / 1e6, 0.833333);
  t.equal(rocAuc([0.5, 0.5, 0.5, 0.5], labels), 0.5, 'one tied score ranks nothing');
  t.equal(averagePrecision([0.5, 0.5, 0.5, 0.5], labels), 0.5, 'tied: precision = base rate');
  t.equal(rocAuc([1, 2, 3, 4], [0, 0, 1, 1]), 1);
  t.ok(Number.isNaN(rocAuc([1, 2], [1, 1])), 'undefined without negatives');
  t.equal(brierScore([1, 0, 0.5], [1, 0, 1]), 0.25 / 3);
});

t.test('confusion, F1-optimal threshold and curves', async (t) => {
  const labels = [0, 0, 0, 1, 1, 0, 1, 1];
  const scores = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9];
  t.same(confusionAt(scores, labels, 0.5), { true_positive: 3, true_negative: 3, false_positive: 1, false_negative: 1 });
  t.equal(maxF1Threshold(scores, labels), 0.4, 'all four buyers at the cost of one non-buyer: F1 0.889');
  const roc = rocCurve(scores, labels);
  t.same([roc.fpr[0], roc.tpr[0], roc.fpr.at(-1), roc.tpr.at(-1)], [0, 0, 1, 1]);
  const many = Array.from({ length: 5000 }, (_, i) => i / 5000);
  const manyLabels = many.map((s, i) => (i % 3 === 0 ? 1 : 0));
  t.ok(rocCurve(many, manyLabels).fpr.length <= 101, 'curves are downsampled for JSON');
  t.equal(prCurve(many, manyLabels).recall.at(-1), 1);
});

t.test('confidence is the holdout accuracy of the probability decile, same probability same confidence', async (t) => {
  const probabilities = Array.from({ length: 100 }, (_, i) => (i < 50 ? 0.05 : i / 100));
  const labels = probabilities.map((p, i) => (p > 0.8 || i % 10 === 0 ? 1 : 0));
  const table = confidenceTable(probabilities, labels, 0.5);
  t.ok(table.accuracy.length <= 10);
  t.equal(table.upper_bounds[0], 0.05, 'the 50 tied customers share one group');
  t.equal(confidenceOf(table, 0.05), 0.9, '45 of the 50 at 0.05 did not buy, as predicted');
  t.ok(table.accuracy.every((a) => a >= 0 && a <= 1));
});

t.test('logistic fit (Platt scaling) recovers a known slope and intercept', async (t) => {
  const random = seededRandom(3);
  const z: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const x = random() * 8 - 4;
    z.push(x);
    y.push(random() < 1 / (1 + Math.exp(-(1.5 * x - 2))) ? 1 : 0);
  }
  const fit = fitCalibration(z, y);
  t.ok(Math.abs(fit.slope - 1.5) < 0.1 && Math.abs(fit.intercept + 2) < 0.1, JSON.stringify(fit));
});

t.test('BG/NBD: log-gamma, closed forms, and maximum likelihood recovers simulated parameters', async (t) => {
  t.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-12);
  t.ok(Math.abs(logGamma(0.5) - Math.log(Math.sqrt(Math.PI))) < 1e-12);
  const p = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
  t.equal(aliveProbability(p, { x: 0, tx: 0, T: 30 }), 1, 'no repeat purchase: cannot have dropped out');
  t.ok(aliveProbability(p, { x: 5, tx: 5, T: 40 }) < aliveProbability(p, { x: 5, tx: 38, T: 40 }), 'a long silence lowers P(alive)');
  t.ok(purchaseProbability(p, { x: 5, tx: 38, T: 40 }, 4) > purchaseProbability(p, { x: 1, tx: 38, T: 40 }, 4));

  // Simulate the BG/NBD story itself: first purchase at 0, Poisson purchases at rate λ ~ Gamma(2, 8) per week,
  // dropout with p ~ Beta(1, 2) after each repeat purchase; 39 weeks observed, the next 8 held out.
  const random = seededRandom(9);
  const exponential = (rate: number) => -Math.log(1 - random()) / rate;
  const histories: History[] = [];
  let buyersAfter = 0;
  let predicted = 0;
  const simulated: { h: History; boughtLater: boolean }[] = [];
  for (let i = 0; i < 4000; i++) {
    const rate = (exponential(1) + exponential(1)) / 8;
    const dropout = 1 - Math.sqrt(random());
    const T = 39;
    let time = 0;
    let x = 0;
    let tx = 0;
    let boughtLater = false;
    for (;;) {
      time += exponential(rate);
      if (time > T) { boughtLater = time <= T + 8; break; }
      x++;
      tx = time;
      if (random() < dropout) break;
    }
    simulated.push({ h: { x, tx, T }, boughtLater });
  }
  for (const s of simulated) histories.push(s.h);
  const fitted = fitBgNbd(histories);
  for (const s of simulated) {
    predicted += purchaseProbability(fitted, s.h, 8);
    buyersAfter += s.boughtLater ? 1 : 0;
  }
  t.ok(Math.abs(fitted.r - 2) < 0.6 && Math.abs(fitted.alpha - 8) < 3 && Math.abs(fitted.a / (fitted.a + fitted.b) - 1 / 3) < 0.1, `parameters ${JSON.stringify(fitted)} (simulated r 2, alpha 8, a 1, b 2)`);
  t.ok(Math.abs(predicted - buyersAfter) / buyersAfter < 0.1, `predicted ${predicted.toFixed(0)} buyers in the next 8 weeks, simulated ${buyersAfter}`);
});
