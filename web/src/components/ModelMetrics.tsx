// How good the next-month purchase model is, measured on a held-out period: its figures beside two
// baselines (recency alone and BG/NBD) so an analyst sees what it adds, how well it forecast spend beside
// BG/NBD x Gamma-Gamma and a run-rate, the confusion matrix at the chosen threshold, ROC and
// precision-recall curves, and how predicted probabilities spread over customers.
import { useMemo } from 'preact/hooks';
import type { ModelMetrics as Metrics } from '../api.ts';
import { barSeries, categoryAxis, categoryScale, colors, lineSeries, valueAxis, zeroBasedScale } from '../chart-options.ts';
import { formatFigure, formatInteger, formatShare, modelComparison, precisionRecallSeries, probabilityBars, rocSeries, spendComparison, trainingCounts } from '../shape.ts';
import type { Remote } from '../use-api.ts';
import { Chart } from './Chart.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { SpendTable } from './SpendTable.tsx';

export function ModelMetrics({ metrics, onRetry }: { metrics: Remote<Metrics>; onRetry: () => void }) {
  return (
    <section class="panel model" aria-labelledby="model-title" data-testid="model-panel">
      <h2 id="model-title">Next-month purchase model</h2>
      {metrics.status === 'loading' && <p class="loading">Loading model figures…</p>}
      {metrics.status === 'error' &&
        (metrics.error.status === 503 ? (
          <p class="empty" data-testid="no-model" role="status">
            No model yet. Train one with <code>salesdash train</code>; predictions and these figures appear once a training
            is published (one whose test period has no buyers, or that does not beat recency alone, is not).
          </p>
        ) : (
          <ErrorBanner what="the model figures" error={metrics.error} onRetry={onRetry} />
        ))}
      {metrics.status === 'ok' && <ModelFigures metrics={metrics.data} />}
    </section>
  );
}

const unitRange = { time: false, range: (): [number, number] => [0, 1] };
// Ticks fall on 0.25 steps too; one decimal would print 0.25 as "0.3".
const unitFormat = (v: number) => String(Math.round(v * 100) / 100);

function ModelFigures({ metrics }: { metrics: Metrics }) {
  const rows = useMemo(() => modelComparison(metrics), [metrics]);
  const spend = useMemo(() => spendComparison(metrics), [metrics]);
  const roc = useMemo(() => rocSeries(metrics), [metrics]);
  const pr = useMemo(() => precisionRecallSeries(metrics), [metrics]);
  const probabilities = useMemo(() => probabilityBars(metrics), [metrics]);
  const rocOptions = useMemo(
    () => ({
      scales: { x: unitRange, rate: { range: (): [number, number] => [0, 1] } },
      axes: [{ ...valueAxis('x', 'left', unitFormat), side: 2, grid: { show: false }, label: 'False positive rate' }, { ...valueAxis('rate', 'left', unitFormat), label: 'True positive rate' }],
      series: [{ label: 'FPR', value: (_u: unknown, v: number | null) => (v == null ? '–' : v.toFixed(3)) }, lineSeries('Model', colors.primary, 'rate', (v) => v.toFixed(3)), lineSeries('Chance', colors.muted, 'rate', (v) => v.toFixed(3), [4, 4])],
      cursor: { drag: { x: false, y: false } },
    }),
    [],
  );
  const prOptions = useMemo(
    () => ({
      scales: { x: unitRange, rate: { range: (): [number, number] => [0, 1] } },
      axes: [{ ...valueAxis('x', 'left', unitFormat), side: 2, grid: { show: false }, label: 'Recall' }, { ...valueAxis('rate', 'left', unitFormat), label: 'Precision' }],
      series: [{ label: 'Recall', value: (_u: unknown, v: number | null) => (v == null ? '–' : v.toFixed(3)) }, lineSeries('Model', colors.primary, 'rate', (v) => v.toFixed(3)), lineSeries('Base rate', colors.muted, 'rate', (v) => v.toFixed(3), [4, 4])],
      cursor: { drag: { x: false, y: false } },
    }),
    [],
  );
  const probabilityOptions = useMemo(
    () => ({
      scales: { x: categoryScale(probabilities.labels.length), customers: zeroBasedScale() },
      axes: [categoryAxis(probabilities.labels, -45), valueAxis('customers')],
      series: [{ label: 'Probability' , value: (_u: unknown, i: number | null) => (i == null ? '–' : (probabilities.labels[i] ?? '–')) }, barSeries('Customers', colors.primary, 'customers')],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
    }),
    [probabilities.labels.join('\u0000')],
  );
  const cm = metrics.confusion_matrix;

  return (
    <div class="model-figures">
      <p class="model-summary" data-testid="model-summary">
        Trained {metrics.model_trained_date} on {trainingCounts(metrics)}
        {metrics.horizon_days ? `; predicts a purchase within ${metrics.horizon_days} days` : ''}
        {metrics.holdout ? `; tested on ${formatInteger(metrics.holdout.customers)} customers (features as of ${metrics.holdout.features_as_of}, purchases ${metrics.holdout.labels_from} to ${metrics.holdout.labels_to})` : ''}
        {metrics.threshold != null ? `; threshold ${metrics.threshold.toFixed(3)}${metrics.threshold_method ? ` (${metrics.threshold_method})` : ''}` : ''}
        {metrics.base_rate != null ? `; base rate ${formatShare(metrics.base_rate)}` : ''}
        {metrics.backend ? `; TensorFlow.js backend ${metrics.backend}` : ''}.
      </p>
      <div class="table-scroll">
        <table class="comparison" data-testid="model-comparison">
          <thead>
            <tr>
              <th scope="col">Predictor</th>
              <th scope="col" class="num">ROC AUC</th>
              <th scope="col" class="num">PR AUC</th>
              <th scope="col" class="num">Brier (lower is better)</th>
              <th scope="col" class="num">Accuracy</th>
              <th scope="col" class="num">Precision</th>
              <th scope="col" class="num">Recall</th>
              <th scope="col" class="num">F1</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <th scope="row">{r.name}</th>
                <td class="num">{formatFigure(r.roc_auc)}</td>
                <td class="num">{formatFigure(r.pr_auc)}</td>
                <td class="num">{formatFigure(r.brier_score)}</td>
                <td class="num">{formatFigure(r.accuracy)}</td>
                <td class="num">{formatFigure(r.precision)}</td>
                <td class="num">{formatFigure(r.recall)}</td>
                <td class="num">{formatFigure(r.f1_score)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {spend && <SpendTable spend={spend} holdout={metrics.holdout} />}
      <div class="model-grid">
        <figure>
          <figcaption>Confusion matrix (held-out customers)</figcaption>
          <table class="confusion" data-testid="confusion-matrix">
            <thead>
              <tr>
                <td />
                <th scope="col">Predicted buy</th>
                <th scope="col">Predicted no buy</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Bought</th>
                <td class="hit">{formatInteger(cm.true_positive)}</td>
                <td class="miss">{formatInteger(cm.false_negative)}</td>
              </tr>
              <tr>
                <th scope="row">Did not buy</th>
                <td class="miss">{formatInteger(cm.false_positive)}</td>
                <td class="hit">{formatInteger(cm.true_negative)}</td>
              </tr>
            </tbody>
          </table>
        </figure>
        <figure>
          <figcaption>ROC curve</figcaption>
          <Chart options={rocOptions} data={roc} height={220} label="ROC curve of the model against chance" testId="roc-chart" />
        </figure>
        <figure>
          <figcaption>Precision–recall curve</figcaption>
          <Chart options={prOptions} data={pr} height={220} label="Precision-recall curve of the model against the base rate" testId="pr-chart" />
        </figure>
        <figure>
          <figcaption>Predicted probability, customers per bucket</figcaption>
          <Chart options={probabilityOptions} data={probabilities.data} height={220} label="Histogram of predicted purchase probabilities" testId="probability-chart" />
        </figure>
      </div>
    </div>
  );
}
