// The publication rule on given windows and figures: which trainings may become the current model, and the
// exact sentence that says why one may not.
import t from 'tap';
import { firstNonFinite, ModelNotPublished, refusal, storable, type WindowOutcome } from '../../jobs/train/publish.ts';

const windows = (holdout: Partial<WindowOutcome> = {}, validation: Partial<WindowOutcome> = {}, training: Partial<WindowOutcome> = {}): WindowOutcome[] => [
  { name: 'holdout window', labelsFrom: '2018-06-01', labelsTo: '2018-08-30', rows: 1000, buyers: 60, ...holdout },
  { name: 'validation window', labelsFrom: '2018-03-03', labelsTo: '2018-05-31', rows: 900, buyers: 50, ...validation },
  { name: 'training windows', labelsFrom: '2017-03-08', labelsTo: '2018-03-02', rows: 4000, buyers: 200, ...training },
];

const figures = (network: number, recency: number) => ({
  roc_auc: network,
  pr_auc: 0.3,
  baselines: { recency: { roc_auc: recency, pr_auc: 0.2 }, bgnbd: { roc_auc: 0.8, parameters: { r: 1, alpha: 2 } } },
  curves: { roc: { fpr: [0, 0.5, 1], tpr: [0, 0.7, 1] } },
});

t.test('a network that beats recency on windows with buyers and non-buyers is published', async (t) => {
  t.equal(refusal(windows()), undefined, 'windows alone (before training)');
  t.equal(refusal(windows(), figures(0.8535, 0.8383)), undefined);
  t.equal(refusal(windows(), figures(0.700001, 0.7)), undefined, 'any gain counts');
});

t.test('a window without buyers or non-buyers is refused, the holdout named first', async (t) => {
  t.equal(refusal(windows({ buyers: 0 })), 'the holdout window (2018-06-01 .. 2018-08-30) has no buyers (none of the customers who had bought before it bought again in it)');
  t.equal(refusal(windows({ buyers: 1000 })), 'the holdout window (2018-06-01 .. 2018-08-30) has no non-buyers (every customer bought)');
  t.equal(refusal(windows({ rows: 0, buyers: 0 })), 'the holdout window (2018-06-01 .. 2018-08-30) has no customers');
  t.equal(refusal(windows({}, { buyers: 0 })), 'the validation window (2018-03-03 .. 2018-05-31) has no buyers (none of the customers who had bought before it bought again in it)');
  t.equal(refusal(windows({}, {}, { buyers: 4000 })), 'the training windows (2017-03-08 .. 2018-03-02) have no non-buyers (every customer bought)');
  t.equal(refusal(windows({ buyers: 0 }, { buyers: 0 })), 'the holdout window (2018-06-01 .. 2018-08-30) has no buyers (none of the customers who had bought before it bought again in it)');
  // The window is the cause; the NaN it produces is only a symptom, so the window is what is reported.
  t.equal(refusal(windows({ buyers: 0 }), figures(Number.NaN, 0.7)), 'the holdout window (2018-06-01 .. 2018-08-30) has no buyers (none of the customers who had bought before it bought again in it)');
});

t.test('a figure that is not a finite number is refused, wherever it is', async (t) => {
  t.equal(refusal(windows(), figures(Number.NaN, 0.7)), 'the figure roc_auc is not a finite number');
  const bgnbd = figures(0.8, 0.7);
  bgnbd.baselines.bgnbd.parameters.alpha = Number.POSITIVE_INFINITY;
  t.equal(refusal(windows(), bgnbd), 'the figure baselines.bgnbd.parameters.alpha is not a finite number');
  const curve = figures(0.8, 0.7);
  curve.curves.roc.tpr[1] = Number.NaN;
  t.equal(refusal(windows(), curve), 'the figure curves.roc.tpr[1] is not a finite number');
  const spend = { ...figures(0.8, 0.7), spend: { network: { spearman: Number.NaN } } };
  t.equal(refusal(windows(), spend), 'the figure spend.network.spearman is not a finite number (a rank correlation needs actual revenue that differs between customers)',
    'an undefined rank correlation says why');
  t.equal(firstNonFinite({ a: [1, { b: -Infinity }] }), 'a[1].b');
  t.equal(firstNonFinite({ a: [1, { b: 2 }], c: 'text', d: null }), undefined);
});

t.test('a network that does not beat recency on holdout ROC AUC is refused (a tie too)', async (t) => {
  t.equal(refusal(windows(), figures(0.61, 0.64)), 'the network does not beat the recency baseline on holdout ROC AUC (0.6100 against 0.6400)');
  t.equal(refusal(windows(), figures(0.75, 0.75)), 'the network does not beat the recency baseline on holdout ROC AUC (0.7500 against 0.7500)');
  t.equal(refusal(windows(), figures(1, 1)), 'the network does not beat the recency baseline on holdout ROC AUC (1.0000 against 1.0000)');
});

t.test('what a refused run stores: null for every non-finite number; the message says what stays current', async (t) => {
  t.same(storable({ roc_auc: Number.NaN, pr_auc: 0.2, curve: [1, Number.POSITIVE_INFINITY], nested: { x: Number.NEGATIVE_INFINITY } }), {
    roc_auc: null, pr_auc: 0.2, curve: [1, null], nested: { x: null },
  });
  t.equal(new ModelNotPublished(5, 'the holdout window (a .. b) has no buyers', 3, {}).message,
    'not published: the holdout window (a .. b) has no buyers; the previous model (run 3) stays current');
  t.equal(new ModelNotPublished(1, 'the holdout window (a .. b) has no buyers', undefined, {}).message,
    'not published: the holdout window (a .. b) has no buyers; there is still no current model');
});
