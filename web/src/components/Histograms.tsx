// The R, F and M distributions over all customers, one small bar chart each, from the buckets the
// database computed (salesdash.rfm_histograms).
import { useMemo, useRef } from 'preact/hooks';
import type { HistogramColumns, HistogramMetric, SegmentsResponse } from '../api.ts';
import { barSeries, categoryAxis, categoryScale, colors, valueAxis, zeroBasedScale } from '../chart-options.ts';
import { reportDrawn } from '../first-view.ts';
import { histogramBars } from '../shape.ts';
import { Chart } from './Chart.tsx';

const metrics: { metric: HistogramMetric; title: string }[] = [
  { metric: 'recency_days', title: 'Recency (days since last purchase)' },
  { metric: 'frequency', title: 'Frequency (orders)' },
  { metric: 'monetary', title: 'Monetary (total spent)' },
];

export function Histograms({ histograms }: { histograms: SegmentsResponse['histograms'] }) {
  const drawn = useRef(new Set<string>());
  const onDraw = (metric: string) => {
    drawn.current.add(metric);
    if (drawn.current.size === metrics.length) reportDrawn('histograms');
  };
  return (
    <div class="histograms">
      {metrics.map(({ metric, title }) => (
        <Histogram key={metric} title={title} histogram={histograms?.[metric]} onDraw={() => onDraw(metric)} testId={`histogram-${metric}`} />
      ))}
    </div>
  );
}

interface HistogramProps {
  title: string;
  histogram: HistogramColumns | undefined;
  onDraw: () => void;
  testId: string;
}

function Histogram({ title, histogram, onDraw, testId }: HistogramProps) {
  const bars = useMemo(() => histogramBars(histogram), [histogram]);
  const options = useMemo(
    () => ({
      scales: { x: categoryScale(bars.labels.length), customers: zeroBasedScale() },
      axes: [categoryAxis(bars.labels, bars.labels.length > 4 ? -45 : 0), valueAxis('customers')],
      series: [
        { label: 'Range', value: (_u: unknown, i: number | null) => (i == null ? '–' : (bars.labels[i] ?? '–')) },
        barSeries('Customers', colors.primary, 'customers'),
      ],
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
    }),
    [bars.labels.join('\u0000')],
  );
  return (
    <figure class="histogram">
      <figcaption>{title}</figcaption>
      <Chart options={options} data={bars.data} height={180} label={`Histogram of ${title}`} testId={testId} onDraw={onDraw} />
    </figure>
  );
}
