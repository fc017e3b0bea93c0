// The dashboard's data shaping: API JSON in, the columnar arrays uPlot draws (and table rows) out.
import t from 'tap';
import type { ModelMetrics, MovementResponse, SegmentsResponse } from '../../web/src/api.ts';
import { movementGrid } from '../../web/src/movement.ts';
import {
  bestRows,
  compactNumber,
  dateToSeconds,
  formatExpectedMoney,
  formatShare,
  formatSignedShare,
  histogramBars,
  horizonText,
  modelComparison,
  monthlySeries,
  precisionRecallSeries,
  probabilityBars,
  rfmAsOf,
  rocSeries,
  segmentBars,
  segmentNames,
  sortedCurve,
  spendComparison,
  trainingCounts,
} from '../../web/src/shape.ts';
import { valueAxis } from '../../web/src/chart-options.ts';
import { chosenCell, defaultViewState, exportPath, movementPath, parseViewState, rfmPagePath, viewStateToSearch, withKnownValues } from '../../web/src/view-state.ts';

const segments: SegmentsResponse = {
  segments: { Champions: 150, 'Loyal Customers': 300, Lost: 450 },
  total_customers: 900,
  last_updated: '2018-09-01',
  segment_details: [
    { segment: 'Champions', customers: 150, share: 1 / 6, revenue: 60000, revenue_share: 0.6, avg_recency_days: 12, avg_frequency: 5, avg_monetary: 400 },
    { segment: 'Loyal Customers', customers: 300, share: 1 / 3, revenue: 30000, revenue_share: 0.3, avg_recency_days: 40, avg_frequency: 3, avg_monetary: 100 },
    { segment: 'Lost', customers: 450, share: 0.5, revenue: 10000, revenue_share: 0.1, avg_recency_days: 500, avg_frequency: 1, avg_monetary: 22.22 },
  ],
};

t.test('segment bars follow the display order with customers and revenue share in percent', async (t) => {
  const bars = segmentBars(segments);
  t.same(bars.labels, ['Champions', 'Loyal Customers', 'Lost']);
  t.same(bars.data, [
    [0, 1, 2],
    [150, 300, 450],
    [60, 30, 10],
  ]);
});

t.test('segment bars without details use the counts and leave revenue share at zero', async (t) => {
  const bars = segmentBars({ segments: { Champions: 0, Lost: 7 }, total_customers: 7, last_updated: null });
  t.same(bars.labels, ['Champions', 'Lost']);
  t.same(bars.data, [
    [0, 1],
    [0, 7],
    [0, 0],
  ]);
});

t.test('with a forecast each segment also gets its share of the expected revenue; a segment not scored gets no bar', async (t) => {
  const forecast = { horizon_days: 30, prediction_date: '2018-09-01', expected_orders: 120.5, expected_revenue: 8000, model_run_id: 4 };
  const details = segments.segment_details!;
  const bars = segmentBars({
    ...segments,
    forecast,
    segment_details: [{ ...details[0]!, expected_revenue: 6000 }, { ...details[1]!, expected_revenue: 2000 }, { ...details[2]!, expected_revenue: null }],
  });
  t.equal(bars.expected, true);
  t.same(bars.data, [
    [0, 1, 2],
    [150, 300, 450],
    [60, 30, 10],
    [75, 25, null],
  ]);
  // No forecast (null, or a server that does not send the field): no expected column at all, never zeros.
  for (const without of [{ ...segments, forecast: null }, segments]) {
    const plain = segmentBars(without);
    t.equal(plain.expected, false);
    t.equal(plain.data.length, 3);
  }
});

t.test('months become UTC seconds, sorted, with revenue and active customers beside them', async (t) => {
  t.equal(dateToSeconds('2017-01-01'), 1483228800);
  t.equal(dateToSeconds('2018-09-01T00:00:00Z'), 1535760000);
  t.throws(() => dateToSeconds('soon'), /not a date: soon/);
  const data = monthlySeries({ month: ['2017-02-01', '2017-01-01'], revenue: [200.5, 100], orders: [3, 2], active_customers: [3, 1] });
  t.same(data, [
    [1485907200 - 31 * 86400, 1485907200],
    [100, 200.5],
    [1, 3],
  ]);
  t.same(monthlySeries(undefined), [[], [], []]);
});

t.test('histogram buckets are drawn at their index with readable range labels', async (t) => {
  const bars = histogramBars({ lower_bound: [0, 500, 5000], upper_bound: [500, 5000, 25000], customers: [10, 4, 1] });
  t.same(bars.labels, ['0–500', '500–5k', '5k+'], 'the last bucket holds everything above its lower bound');
  const orders = { lower_bound: [1, 2, 3, 20], upper_bound: [2, 3, 4, 21], customers: [50, 20, 9, 3] };
  t.same(histogramBars(orders, { wholeNumbers: true }).labels, ['1', '2', '3', '20+'], 'order counts: one value per bucket');
  t.same(histogramBars(orders).labels, ['1–2', '2–3', '3–4', '20+']);
  t.same(bars.data, [
    [0, 1, 2],
    [10, 4, 1],
  ]);
  t.same(histogramBars(undefined), { labels: [], data: [[], []] });
});

t.test('curves are sorted by x, ties by y, and non-finite points are dropped', async (t) => {
  t.same(sortedCurve([1, 0, 0.5, 0.5, NaN], [1, 0, 0.9, 0.2, 0.3]), [
    [0, 0.5, 0.5, 1],
    [0, 0.2, 0.9, 1],
  ]);
});

const metrics: ModelMetrics = {
  accuracy: 0.82,
  f1_score: 0.31,
  precision: 0.4,
  recall: 0.25,
  roc_auc: 0.74,
  pr_auc: 0.28,
  brier_score: 0.09,
  confusion_matrix: { true_positive: 10, true_negative: 300, false_positive: 15, false_negative: 30 },
  model_trained_date: '2026-11-25',
  training_samples: 400,
  base_rate: 0.11,
  baselines: { recency: { roc_auc: 0.68, pr_auc: 0.2, brier_score: 0.12, accuracy: 0.8, precision: 0.3, recall: 0.2, f1_score: 0.24 } },
  curves: { roc: { fpr: [1, 0, 0.3], tpr: [1, 0, 0.7] }, pr: { recall: [1, 0.5, 0], precision: [0.11, 0.35, 1] } },
  probability_histogram: { lower_bound: [0, 0.25, 0.5, 0.75], customers: [100, 50, 20, 5] },
};

t.test('ROC series has the chance diagonal beside the model curve', async (t) => {
  t.same(rocSeries(metrics), [
    [0, 0.3, 1],
    [0, 0.7, 1],
    [0, 0.3, 1],
  ]);
});

t.test('precision-recall series is ordered by recall with the base rate as a flat line', async (t) => {
  t.same(precisionRecallSeries(metrics), [
    [0, 0.5, 1],
    [1, 0.35, 0.11],
    [0.11, 0.11, 0.11],
  ]);
  t.same(precisionRecallSeries({ ...metrics, curves: undefined }), [[], [], []]);
});

t.test('probability buckets end at 1', async (t) => {
  const bars = probabilityBars(metrics);
  t.same(bars.labels, ['0–0.25', '0.25–0.5', '0.5–0.75', '0.75–1']);
  t.same(bars.data, [
    [0, 1, 2, 3],
    [100, 50, 20, 5],
  ]);
});

t.test('model comparison has the model first and only the baselines that exist', async (t) => {
  const rows = modelComparison(metrics);
  t.same(
    rows.map((r) => [r.name, r.roc_auc, r.f1_score]),
    [
      ['Model', 0.74, 0.31],
      ['Recency only', 0.68, 0.24],
    ],
  );
  const missing = modelComparison({ ...metrics, roc_auc: undefined as unknown as number, baselines: undefined });
  t.equal(missing.length, 1);
  t.equal(missing[0]!.roc_auc, null);
});

t.test('the spend table has the model, then BG/NBD x Gamma-Gamma and the run-rate; absent spend means no table', async (t) => {
  const figures = (spearman: number, capture: number, total: number, mae: number) => ({ spearman, top_decile_capture: capture, total_error: total, mae, predicted_revenue: 1000 * (1 + total) });
  const spend = {
    horizon_days: 90,
    actual_revenue: 1000,
    model: 'network probability x Gamma-Gamma order value',
    network: figures(0.45, 0.66, -0.05, 10.1),
    baselines: { bgnbd_gamma_gamma: figures(0.397, 0.617, 0.148, 10.98), run_rate: figures(0.36, 0.586, 1.373, 18.91) },
    gamma_gamma: { p: 6.2, q: 3.9, gamma: 15.4, repeat_customers: 812, frequency_value_correlation: 0.04 },
  };
  const comparison = spendComparison({ ...metrics, spend })!;
  t.same(
    comparison.rows.map((r) => [r.name, r.spearman, r.total_error]),
    [
      ['Model', 0.45, -0.05],
      ['BG/NBD × Gamma-Gamma', 0.397, 0.148],
      ['Run-rate', 0.36, 1.373],
    ],
  );
  t.same(
    [comparison.horizonDays, comparison.actualRevenue, comparison.model, comparison.correlation, comparison.repeatCustomers],
    [90, 1000, spend.model, 0.04, 812],
  );
  t.same(bestRows(comparison.rows, 'spearman'), [0]);
  t.same(bestRows(comparison.rows, 'total_error', { lowest: true, absolute: true }), [0], 'the smallest error either way');
  t.same(bestRows(comparison.rows, 'mae', { lowest: true }), [0]);
  // The model may fall back to the baseline's figures: both are best then, not only the first.
  const tied = [comparison.rows[1]!, { ...comparison.rows[1]!, name: 'Model' }, comparison.rows[2]!];
  t.same(bestRows(tied, 'spearman'), [0, 1]);
  t.same(bestRows(tied, 'predicted_revenue'), [2]);
  t.same(bestRows([{ ...comparison.rows[0]!, mae: null }], 'mae'), [], 'nobody has the figure');
  t.equal(spendComparison(metrics), null, 'a model trained before spend was measured');
  t.equal(spendComparison({ ...metrics, spend: { horizon_days: 90 } }), null, 'no forecaster figures: no table');
  const onlyBaseline = spendComparison({ ...metrics, spend: { baselines: { run_rate: { spearman: 0.3 } } } })!;
  t.same(onlyBaseline.rows.map((r) => [r.name, r.spearman, r.mae]), [['Run-rate', 0.3, null]]);
  t.same([onlyBaseline.correlation, onlyBaseline.model, onlyBaseline.actualRevenue], [null, null, null]);
});

t.test('signed shares, expected money and horizons read the way an analyst says them', async (t) => {
  t.equal(formatSignedShare(0.148), '+14.8%');
  t.equal(formatSignedShare(-0.05), '\u22125.0%');
  t.equal(formatSignedShare(0.00001), '0.0%', 'no sign on what rounds to zero');
  t.equal(formatSignedShare(undefined), '–');
  t.equal(formatExpectedMoney(1234.5), '1,234.50');
  t.equal(formatExpectedMoney(0), '0.00');
  t.equal(formatExpectedMoney(null), '\u2014', 'not scored is an em dash, not 0');
  t.equal(horizonText(30), 'next 30 days');
  t.equal(horizonText(1), 'next 1 day');
  t.equal(horizonText(90, '2018-09-01'), '90 days after 2018-09-01');
  t.equal(horizonText(undefined), 'next period');
});

t.test('the model panel counts customers as customers and training rows as rows (issue 15)', async (t) => {
  const counted = { training_samples: 195350, training_customers: 49710, training_windows: ['2018-05-01', '2018-04-01', '2018-03-02', '2018-01-31'] };
  t.equal(trainingCounts(counted), '49,710 customers (195,350 training rows: one per customer and window, 4 windows)');
  t.equal(trainingCounts({ ...counted, training_windows: ['2018-05-01'] }), '49,710 customers (195,350 training rows: one per customer and window, 1 window)');
  // A run stored before customers were counted: only what is known, and never rows called customers.
  t.equal(trainingCounts({ training_samples: 195350 }), '195,350 training rows');
});

t.test('numbers are written short for axes and as shares for people', async (t) => {
  t.equal(compactNumber(999), '999');
  t.equal(compactNumber(1234), '1.2k');
  t.equal(compactNumber(25000), '25k');
  t.equal(compactNumber(1500000), '1.5M');
  t.equal(compactNumber(2.456, 1), '2.5');
  t.equal(formatShare(0.4567), '45.7%');
  t.equal(formatShare(null), '–');
});

t.test('the view state round-trips through the URL and falls back to defaults on nonsense', async (t) => {
  const view = parseViewState('?segment=At+Risk&sort=recency&order=asc&page=3&customer=abc%2F1');
  const movementDefaults = { from: null, to: null, movedFrom: null };
  t.same(view, { tab: 'overview', segment: 'At Risk', sort: 'recency', order: 'asc', page: 3, customer: 'abc/1', ...movementDefaults });
  t.equal(parseViewState(viewStateToSearch(view)).customer, 'abc/1');
  t.same(parseViewState(viewStateToSearch(view)), view);
  t.same(parseViewState('?sort=price;drop&order=up&page=-2'), { tab: 'overview', segment: null, sort: 'monetary', order: 'desc', page: 1, customer: null, ...movementDefaults });
  t.equal(viewStateToSearch(parseViewState('')), '');
  t.equal(rfmPagePath(view), '/api/customers/rfm?segment=At+Risk&sort_by=recency&order=asc&page=3&limit=25');
  t.equal(exportPath(view), '/api/customers/rfm.csv?segment=At+Risk&sort_by=recency&order=asc');
});

t.test('sorting by expected revenue is a view of its own, in the table request and the CSV link', async (t) => {
  const view = parseViewState('?sort=expected_revenue&order=desc&segment=Lost');
  t.equal(view.sort, 'expected_revenue');
  t.equal(viewStateToSearch(view), '?segment=Lost&sort=expected_revenue');
  t.equal(rfmPagePath(view), '/api/customers/rfm?segment=Lost&sort_by=expected_revenue&order=desc&page=1&limit=25');
  t.equal(exportPath(view), '/api/customers/rfm.csv?segment=Lost&sort_by=expected_revenue&order=desc');
});

t.test('the movement tab keeps its dates and chosen cell in the URL; the overview ignores them', async (t) => {
  const view = parseViewState('?tab=movement&from=2018-06-30&to=2018-08-31&moved_from=Loyal&segment=At-Risk&page=2');
  t.same(
    { tab: view.tab, from: view.from, to: view.to, movedFrom: view.movedFrom, segment: view.segment, page: view.page },
    { tab: 'movement', from: '2018-06-30', to: '2018-08-31', movedFrom: 'Loyal', segment: 'At-Risk', page: 2 },
  );
  t.same(parseViewState(viewStateToSearch(view)), view);
  t.same(chosenCell(view), { movedFrom: 'Loyal', segment: 'At-Risk', since: '2018-06-30' });
  t.equal(rfmPagePath(view), '/api/customers/rfm?segment=At-Risk&moved_from=Loyal&since=2018-06-30&sort_by=monetary&order=desc&page=2&limit=25');
  t.equal(exportPath(view), '/api/customers/rfm.csv?segment=At-Risk&moved_from=Loyal&since=2018-06-30&sort_by=monetary&order=desc');
  t.equal(movementPath(view), '/api/segments/movement?from=2018-06-30&to=2018-08-31');
  t.equal(movementPath(parseViewState('?tab=movement')), '/api/segments/movement', 'no dates: the API picks the two latest');
  // New customers: moved_from is the contract's "(none)".
  t.match(rfmPagePath(parseViewState('?tab=movement&from=2018-06-30&moved_from=(none)&segment=New+Customers')), 'moved_from=%28none%29&since=2018-06-30');
  // Without a from date there is no cell; a bad date is dropped; on the overview the movement fields mean nothing.
  t.equal(chosenCell(parseViewState('?tab=movement&moved_from=Loyal&segment=Lost')), null);
  t.equal(parseViewState('?tab=movement&from=yesterday').from, null);
  const overview = parseViewState('?from=2018-06-30&moved_from=Loyal&segment=Lost');
  t.same([overview.tab, overview.from, overview.movedFrom, chosenCell(overview)], ['overview', null, null, null]);
  t.equal(rfmPagePath(overview), '/api/customers/rfm?segment=Lost&sort_by=monetary&order=desc&page=1&limit=25');
});

t.test('the movement matrix has a row per segment at from (then new) and a column per segment at to (then gone)', async (t) => {
  const cell = (from_segment: string | null, to_segment: string | null, direction: MovementResponse['cells'][number]['direction'], customers: number) =>
    ({ from_segment, to_segment, direction, customers, share_of_from: null, revenue_before: 0, revenue_after: 0 });
  const response: MovementResponse = {
    from: '2018-06-30',
    to: '2018-08-31',
    segments: ['Champions', 'Loyal', 'At-Risk'],
    cells: [cell('Loyal', 'At-Risk', 'down', 4), cell('Loyal', 'Loyal', 'stayed', 10), cell(null, 'Champions', 'new', 3), cell('At-Risk', 'Loyal', 'up', 2)],
  };
  const grid = movementGrid(response);
  t.same(grid.rows, ['Champions', 'Loyal', 'At-Risk', null]);
  t.same(grid.columns, ['Champions', 'Loyal', 'At-Risk'], 'no gone column when nobody is gone');
  t.equal(grid.cell('Loyal', 'At-Risk')?.customers, 4);
  t.equal(grid.cell(null, 'Champions')?.direction, 'new');
  t.equal(grid.cell('Champions', 'Loyal'), undefined);
  t.equal(grid.rowTotals.get('Loyal'), 14);
  const gone = movementGrid({ ...response, cells: [...response.cells, cell('Lost', null, 'lost', 1)] });
  t.same(gone.columns, ['Champions', 'Loyal', 'At-Risk', 'Lost', null], 'a segment missing from the list still shows, gone comes last');
});

t.test('a segment or snapshot date the shop does not have falls back to the default; known values stay', async (t) => {
  const known = { segments: segmentNames(segments), snapshots: ['2018-09-01', '2018-06-30', '2018-03-31'] };
  t.same(known.segments, ['Champions', 'Loyal Customers', 'Lost'], 'the segment names in display order');
  const bogus = parseViewState('?segment=Bogus&sort=recency&page=3&customer=%20lead');
  t.same(withKnownValues(bogus, known), { ...bogus, segment: null, page: 1 }, 'segment dropped, the rest kept, back to page 1');
  t.equal(viewStateToSearch(withKnownValues(bogus, known)), '?sort=recency&customer=+lead');

  const kept = parseViewState('?segment=Lost&page=3');
  t.equal(withKnownValues(kept, known), kept, 'nothing unknown: the same view');
  t.equal(withKnownValues(bogus, {}), bogus, 'a list not known yet checks nothing');

  const dates = parseViewState('?tab=movement&from=1999-01-01&to=2018-09-01&moved_from=Lost&segment=Champions');
  t.same(withKnownValues(dates, known), { ...dates, from: null, movedFrom: null, segment: null, page: 1 }, 'an unknown from takes its cell with it');
  const to = parseViewState('?tab=movement&from=2018-06-30&to=2000-01-01&moved_from=Lost&segment=Champions');
  t.same(withKnownValues(to, known), { ...to, to: null, page: 1 }, 'an unknown to keeps the cell of the known from');
  const cell = parseViewState('?tab=movement&from=2018-06-30&moved_from=Lost&segment=Bogus');
  t.same(withKnownValues(cell, known), { ...cell, segment: null, movedFrom: null, page: 1 }, 'an unknown segment takes its cell with it');
  const backwards = parseViewState('?tab=movement&from=2018-09-01&to=2018-06-30&moved_from=Lost&segment=Champions');
  t.same(withKnownValues(backwards, known), { ...backwards, from: null, to: null, movedFrom: null, segment: null, page: 1 },
    'two known dates the wrong way round: both back to the defaults');
  const rows = { ...known, movedFrom: ['Champions', 'Lost'] };
  const source = parseViewState('?tab=movement&from=2018-06-30&moved_from=Bogus&segment=Champions');
  t.same(withKnownValues(source, rows), { ...source, segment: null, movedFrom: null, page: 1 }, 'a moved_from no row of the matrix has takes its cell with it');
  const fromRow = parseViewState('?tab=movement&from=2018-06-30&moved_from=Lost&segment=Champions');
  t.equal(withKnownValues(fromRow, rows), fromRow, 'a row of the matrix stays');
  const fresh = parseViewState('?tab=movement&from=2018-06-30&moved_from=(none)&segment=Champions');
  t.equal(withKnownValues(fresh, rows), fresh, 'new customers (not a row name) stay');
  const later = parseViewState('?tab=movement&from=2018-06-30&to=2000-01-01');
  t.equal(withKnownValues(later, { segments: known.segments }), later, 'before the snapshots are known, no date is judged');
  t.same(withKnownValues({ ...defaultViewState }, known), defaultViewState);
});

t.test('the header tells a refresh without purchases from no refresh', async (t) => {
  t.equal(rfmAsOf({ last_updated: '2018-09-01', refreshed_at: '2026-01-02T03:04:05Z' }), '2018-09-01');
  t.equal(rfmAsOf({ last_updated: null, refreshed_at: '2026-01-02T03:04:05Z' }), 'no purchases (refreshed 2026-01-02)');
  t.equal(rfmAsOf({ last_updated: null, refreshed_at: null }), 'not refreshed yet');
  t.equal(rfmAsOf({ last_updated: null }), 'not refreshed yet', 'an older server without refreshed_at');
});

t.test("count axes tick at whole numbers only; other formats keep uPlot's steps", async (t) => {
  const steps = valueAxis('customers').incrs as number[];
  t.ok(steps.length > 0 && steps.every((step) => Number.isInteger(step) && step >= 1), 'every step is a whole number');
  t.equal(steps[0], 1, 'down to 1: an empty scale (0..1) reads 0, 1');
  t.equal(valueAxis('share', 'right', (v) => `${v}%`).incrs, undefined);
});
