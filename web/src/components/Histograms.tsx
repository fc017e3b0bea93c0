// The R, F and M distributions over all customers, one small bar chart each, from the buckets the
// database computed (salesdash.rfm_histograms).
import { useMemo, useRef } from 'preact/hooks';
import type { HistogramColumns, HistogramMetric, SegmentsResponse } from '../api.ts';
import { barSeries, categoryAxis, categoryScale, colors, valueAxis, zeroBasedScale } from '../chart-options.ts';
import { reportDrawn } from '../first-view.ts';
import { histogramBars } from '../shape.ts';
import { Chart } from './Chart.tsx';

const metrics: { metric: HistogramMetric; title: string; wholeNumbers?: boolean }[] = [
  { metric: 'recency_days', title: 'Recency (days since last purchase)' },
  { metric: 'frequency', title: 'Frequency (orders)', wholeNumbers: true },
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
      {metrics.map(({ metric, title, wholeNumbers }) => (
        <Histogram
          key={metric}
          title={title}
          histogram={histograms?.[metric]}
          wholeNumbers={wholeNumbers ?? false}
          onDraw={() => onDraw(metric)}
          testId={`histogram-${metric}`}
        />
      ))}
    </div>
  );
}

interface HistogramProps {
  title: string;
  histogram: HistogramColumns | undefined;
  wholeNumbers: boolean;
  onDraw: () => void;
  testId: string;
}

function Histogram({ title, histogram, wholeNumbers, onDraw, testId }: HistogramProps) {
  const bars = useMemo(() => histogramBars(histogram, { wholeNumbers }), [histogram, wholeNumbers]);
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
